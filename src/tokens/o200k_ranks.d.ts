/** How many ranks the table holds. */
export declare const COUNT: number;
/** The pre-token pattern (a regular expression's source, used with the `gu` flags). */
export declare const PATTERN: string;
/** Every token's bytes in rank order, each after its length as a varint; base64. */
export declare const RANKS: string;
