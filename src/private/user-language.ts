/**
 * The language the library is used from, as the jsii runtime that hosts it says: each runtime starts the
 * Node process with `JSII_AGENT` set to `<Language>/<version>` (`Python/3.11.7`, `Java/17.0.2`,
 * `DotNet/8.0.0`, `Go/go1.26`); TypeScript and JavaScript run without one.
 */
export type UserLanguage = 'typescript' | 'python' | 'java' | 'csharp' | 'go';

export function userLanguage(agent: string | undefined = process.env.JSII_AGENT): UserLanguage {
  const runtime = /^([A-Za-z.]+)\//.exec(agent ?? '')?.[1]?.toLowerCase();
  switch (runtime) {
    case 'python':
      return 'python';
    case 'java':
      return 'java';
    case 'dotnet':
      return 'csharp';
    case 'go':
      return 'go';
    default:
      return 'typescript';
  }
}

/** A camelCase name of a prop or method: lowercase first, with at least one hump (`maxReceiveCount`, `addQueue`). */
const CAMEL_CASE_NAME = /\b[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+\b/g;

/**
 * `text` (the prop and the rule of an error or a warning, never the value the user gave) with the names of
 * props and methods spelled as the user's language spells them: `max_receive_count` and `add_queue` in Python,
 * `MaxReceiveCount` and `AddQueue` in C# and Go; Java and TypeScript keep `maxReceiveCount`.
 *
 * Only camelCase names are respelled: a one-word prop (`vpc`) reads the same in Python and Java, and is left
 * as it is for C# and Go too, since a lowercase word in the text may as well be English.
 */
export function inUserLanguage(text: string, language: UserLanguage = userLanguage()): string {
  switch (language) {
    case 'python':
      return text.replace(CAMEL_CASE_NAME, (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
    case 'csharp':
    case 'go':
      return text.replace(CAMEL_CASE_NAME, (name) => name[0].toUpperCase() + name.slice(1));
    default:
      return text;
  }
}
