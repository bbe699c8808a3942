package io.connectedregistry.oci;

/**
 * The grammar of media types. A manifest's media type is stored and served back as the
 * {@code Content-Type} of every pull, so what is stored must be a valid header value that means
 * nothing but a media type: RFC 6838 section 4.2, {@code type "/" subtype}, each a
 * restricted-name of 1 to 127 characters
 * ({@code ALPHA / DIGIT} first, then {@code ALPHA / DIGIT / "!" / "#" / "$" / "&" / "-" / "^" / "_" / "." / "+"}).
 */
public final class MediaTypeSyntax {
  private static final int MAX_NAME = 127;

  private MediaTypeSyntax() {}

  /** {@code type/subtype} and nothing else: no parameters, no spaces. What may be stored. */
  public static boolean isTypeAndSubtype(String value) {
    if (value == null) {
      return false;
    }
    int slash = value.indexOf('/');
    return slash > 0 && isRestrictedName(value, 0, slash) && isRestrictedName(value, slash + 1, value.length());
  }

  /**
   * A request's {@code Content-Type}: {@code type/subtype} followed by any number of
   * {@code ; name=value} parameters (RFC 9110 section 8.3.1: a token, then a token or a
   * quoted-string), with optional whitespace around the semicolons. The parameters are read past,
   * never stored: a client may label the body {@code ; charset=utf-8} without harm.
   */
  public static boolean isContentType(String value) {
    if (value == null) {
      return false;
    }
    int end = value.indexOf(';');
    String type = (end < 0 ? value : value.substring(0, end)).strip();
    if (!isTypeAndSubtype(type)) {
      return false;
    }
    int i = end < 0 ? value.length() : end;
    while (i < value.length()) {
      // at a ';'
      i = skipWhitespace(value, i + 1);
      if (i == value.length()) {
        return true; // a trailing ";" is tolerated, as by most parsers
      }
      int nameEnd = token(value, i);
      if (nameEnd == i || nameEnd == value.length() || value.charAt(nameEnd) != '=') {
        return false;
      }
      i = nameEnd + 1;
      int valueEnd = i < value.length() && value.charAt(i) == '"' ? quotedString(value, i) : token(value, i);
      if (valueEnd <= i) {
        return false;
      }
      i = skipWhitespace(value, valueEnd);
      if (i < value.length() && value.charAt(i) != ';') {
        return false;
      }
    }
    return true;
  }

  private static boolean isRestrictedName(String s, int from, int to) {
    int length = to - from;
    if (length < 1 || length > MAX_NAME || !isAlphaOrDigit(s.charAt(from))) {
      return false;
    }
    for (int i = from + 1; i < to; i++) {
      char c = s.charAt(i);
      if (!isAlphaOrDigit(c) && "!#$&-^_.+".indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAlphaOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  /** The end of the RFC 9110 token starting at {@code i} ({@code i} itself when there is none). */
  private static int token(String s, int i) {
    while (i < s.length() && isTokenChar(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean isTokenChar(char c) {
    return isAlphaOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  /** The end (after the closing quote) of the quoted-string at {@code i}, or -1 when it is not one. */
  private static int quotedString(String s, int i) {
    for (int j = i + 1; j < s.length(); j++) {
      char c = s.charAt(j);
      if (c == '"') {
        return j + 1;
      }
      if (c == '\\') {
        j++;
        if (j == s.length() || !isQuotable(s.charAt(j))) {
          return -1;
        }
      } else if (!isQuotable(c)) {
        return -1;
      }
    }
    return -1;
  }

  /** HTAB, SP and visible ASCII (obs-text, bytes above 0x7F, is not accepted). */
  private static boolean isQuotable(char c) {
    return c == '\t' || (c >= 0x20 && c <= 0x7E);
  }

  private static int skipWhitespace(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }
}
