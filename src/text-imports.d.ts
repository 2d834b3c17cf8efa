// Shell snippets are embedded in the binary with `import … with { type: "text" }`.
declare module "*.zsh" {
  const text: string;
  export default text;
}
declare module "*.bash" {
  const text: string;
  export default text;
}
declare module "*.fish" {
  const text: string;
  export default text;
}
