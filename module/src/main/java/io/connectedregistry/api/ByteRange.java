package io.connectedregistry.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the two range headers of the API: a blob GET's {@code Range} and an upload's {@code Content-Range}. */
final class ByteRange {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
  private static final Pattern CONTENT_RANGE = Pattern.compile("(?:bytes[ =])?(\\d+)-(\\d+)(?:/(?:\\d+|\\*))?");

  private ByteRange() {}

  /**
   * A single {@code Range: bytes=a-b} (also {@code a-} and {@code -suffix}) against a blob of
   * {@code size}: {@code [first, last]} inclusive, or null when it cannot be satisfied or is
   * malformed (numbers too long for a long included); never throws.
   */
  static long[] parse(String header, long size) {
    Matcher m = RANGE.matcher(header.trim());
    if (!m.matches() || m.group(1).isEmpty() && m.group(2).isEmpty()) {
      return null;
    }
    try {
      long first;
      long last;
      if (m.group(1).isEmpty()) {
        long suffix = Long.parseLong(m.group(2));
        if (suffix == 0) {
          return null;
        }
        first = Math.max(0, size - suffix);
        last = size - 1;
      } else {
        first = Long.parseLong(m.group(1));
        last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
      }
      if (first >= size || first > last) {
        return null;
      }
      return new long[] {first, last};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * An upload chunk's {@code Content-Range: start-end}: {@code [start, end]}, or null when
   * malformed (numbers too long for a long included); never throws.
   */
  static long[] parseContentRange(String header) {
    Matcher m = CONTENT_RANGE.matcher(header.trim());
    if (!m.matches()) {
      return null;
    }
    try {
      long start = Long.parseLong(m.group(1));
      long end = Long.parseLong(m.group(2));
      return end < start ? null : new long[] {start, end};
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
