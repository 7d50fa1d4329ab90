/** The common-password list, one lower-cased password per line (common-passwords.js). */
declare const commonPasswords: string;
export default commonPasswords;
