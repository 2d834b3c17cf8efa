/** Preloaded by bun test (bunfig.toml): hooks here run once around the whole run. */
import { afterAll } from "bun:test";
import { releaseAll } from "./helpers/home.ts";
import { killServers } from "./tmux/server.ts";

afterAll(async () => {
  killServers();
  await releaseAll();
});
