/*
 * Column types of a Glue table as Hive DDL writes them, the language AWS Glue, Athena and Firehose's record
 * format conversion share ("Data types in Amazon Athena", https://docs.aws.amazon.com/athena/latest/ug/data-types.html):
 * primitives, `decimal(precision, scale)` with precision 1 to 38, `char(n)` with n 1 to 255, `varchar(n)` with
 * n 1 to 65,535, and the complex types `array<T>`, `map<K, V>` (K primitive) and `struct<name:T, ...>`.
 * `uniontype` is left out: Firehose's Hive JSON SerDe does not take it ("Convert input data format in Amazon
 * Data Firehose", https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html).
 */

const PRIMITIVES = new Set([
  'boolean',
  'tinyint',
  'smallint',
  'int',
  'integer',
  'bigint',
  'float',
  'double',
  'decimal',
  'string',
  'date',
  'timestamp',
  'binary',
]);

const MAX_DECIMAL_PRECISION = 38;
const MAX_CHAR_LENGTH = 255;
const MAX_VARCHAR_LENGTH = 65_535;

class Parser {
  private at = 0;

  constructor(private readonly text: string) {}

  /** The whole text is one type. */
  public parse(): string | undefined {
    const problem = this.type();
    if (problem !== undefined) {
      return problem;
    }
    this.spaces();
    return this.at === this.text.length ? undefined : `unexpected "${this.text.slice(this.at)}"`;
  }

  private type(): string | undefined {
    this.spaces();
    const word = this.word();
    if (word === '') {
      return `a type is missing at position ${this.at + 1}`;
    }
    switch (word) {
      case 'array':
        return this.enclosed(() => this.type());
      case 'map':
        return this.enclosed(() => this.mapBody());
      case 'struct':
        return this.enclosed(() => this.structBody());
      case 'decimal':
        return this.peek('(') ? this.numbers(word, 1, 2, (values) => this.decimalRange(values)) : undefined;
      case 'char':
        return this.numbers(word, 1, 1, ([n]) => this.lengthRange(word, n, MAX_CHAR_LENGTH));
      case 'varchar':
        return this.numbers(word, 1, 1, ([n]) => this.lengthRange(word, n, MAX_VARCHAR_LENGTH));
      default:
        return PRIMITIVES.has(word) ? undefined : `"${word}" is not a Hive type`;
    }
  }

  private mapBody(): string | undefined {
    this.spaces();
    const keyStart = this.at;
    const key = this.word();
    if (!PRIMITIVES.has(key) && key !== 'char' && key !== 'varchar') {
      return `a map key must be a primitive type, got "${key || this.text.slice(keyStart)}"`;
    }
    this.at = keyStart;
    const problem = this.type();
    if (problem !== undefined) {
      return problem;
    }
    return this.expect(',') ?? this.type();
  }

  private structBody(): string | undefined {
    const names = new Set<string>();
    for (;;) {
      this.spaces();
      const name = this.fieldName();
      if (name === '') {
        return `a struct field name is missing at position ${this.at + 1}`;
      }
      if (names.has(name)) {
        return `the struct field "${name}" appears twice`;
      }
      names.add(name);
      const problem = this.expect(':') ?? this.type();
      if (problem !== undefined) {
        return problem;
      }
      this.spaces();
      if (!this.peek(',')) {
        return undefined;
      }
      this.at++;
    }
  }

  private enclosed(body: () => string | undefined): string | undefined {
    return this.expect('<') ?? body() ?? this.expect('>');
  }

  private numbers(
    word: string,
    min: number,
    max: number,
    check: (values: number[]) => string | undefined,
  ): string | undefined {
    const open = this.expect('(');
    if (open !== undefined) {
      return `${word} needs its size in parentheses, e.g. ${word}(10)`;
    }
    const values: number[] = [];
    for (;;) {
      this.spaces();
      const digits = /^\d+/.exec(this.text.slice(this.at))?.[0];
      if (digits === undefined) {
        return `${word}(...) takes whole numbers`;
      }
      this.at += digits.length;
      values.push(Number(digits));
      this.spaces();
      if (this.peek(',') && values.length < max) {
        this.at++;
        continue;
      }
      break;
    }
    if (values.length < min) {
      return `${word}(...) takes ${min} number${min === 1 ? '' : 's'}`;
    }
    return this.expect(')') ?? check(values);
  }

  private decimalRange([precision, scale = 0]: number[]): string | undefined {
    if (precision < 1 || precision > MAX_DECIMAL_PRECISION) {
      return `decimal precision must be between 1 and ${MAX_DECIMAL_PRECISION}, got ${precision}`;
    }
    return scale > precision ? `decimal scale must be at most its precision (${precision}), got ${scale}` : undefined;
  }

  private lengthRange(word: string, length: number, max: number): string | undefined {
    return length < 1 || length > max
      ? `${word} length must be between 1 and ${max.toLocaleString('en-US')}, got ${length}`
      : undefined;
  }

  private word(): string {
    const match = /^[a-z]+/.exec(this.text.slice(this.at))?.[0] ?? '';
    this.at += match.length;
    return match;
  }

  private fieldName(): string {
    const match = /^[a-z0-9_]+/.exec(this.text.slice(this.at))?.[0] ?? '';
    this.at += match.length;
    return match;
  }

  private expect(char: string): string | undefined {
    this.spaces();
    if (!this.peek(char)) {
      return `"${char}" expected at position ${this.at + 1}`;
    }
    this.at++;
    return undefined;
  }

  private peek(char: string): boolean {
    return this.text[this.at] === char;
  }

  private spaces(): void {
    while (this.text[this.at] === ' ') {
      this.at++;
    }
  }
}

/**
 * Why `type` is not a column type Hive DDL knows, or undefined when it is. Types are lowercase, as Glue
 * stores them (`bigint`, `array<string>`, `struct<lat:double,lon:double>`).
 */
export function hiveTypeProblem(type: string): string | undefined {
  if (type.length === 0) {
    return 'the type is empty';
  }
  if (type !== type.toLowerCase()) {
    return 'types are written in lowercase, as Glue stores them';
  }
  return new Parser(type).parse();
}
