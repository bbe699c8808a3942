package io.connectedregistry.api;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link ByteRange} reads a blob GET's {@code Range} and an upload PATCH's {@code Content-Range}
 * as clients send them: whatever the header, the answer is null or a range inside what was asked
 * about, never an exception.
 */
class ByteRangeProperties {
  private static final Gen<Long> SIZES = longs().between(0, Long.MAX_VALUE);
  private static final Gen<Long> POSITIVE = longs().between(1, Long.MAX_VALUE);

  // --- Range ----------------------------------------------------------------------------------

  @Test
  void aSatisfiableClosedRangeParsesToItself() {
    qt().withExamples(500).forAll(POSITIVE, SIZES, SIZES).checkAssert((size, a, b) -> {
      long first = a % size;
      long last = first + b % (size - first);
      assertArrayEquals(new long[] {first, last}, ByteRange.parse("bytes=" + first + "-" + last, size));
    });
  }

  @Test
  void anOpenRangeRunsToTheLastByte() {
    qt().withExamples(500).forAll(POSITIVE, SIZES).checkAssert((size, a) -> {
      long first = a % size;
      assertArrayEquals(new long[] {first, size - 1}, ByteRange.parse("bytes=" + first + "-", size));
    });
  }

  @Test
  void aSuffixRangeIsTheLastBytesOrTheWholeBlob() {
    qt().withExamples(500).forAll(POSITIVE, POSITIVE).checkAssert((size, suffix) ->
        assertArrayEquals(new long[] {Math.max(0, size - suffix), size - 1}, ByteRange.parse("bytes=-" + suffix, size)));
  }

  @Test
  void aRangeEndingPastTheBlobIsCutAtItsEnd() {
    qt().withExamples(500).forAll(POSITIVE, SIZES, SIZES).checkAssert((size, a, b) -> {
      long first = a % size;
      long beyond = atMost(b, Long.MAX_VALUE - (size - 1));
      assertArrayEquals(new long[] {first, size - 1}, ByteRange.parse("bytes=" + first + "-" + (size - 1 + beyond), size));
    });
  }

  @Test
  void aRangeStartingAtOrPastTheEndIsUnsatisfiable() {
    qt().withExamples(500).forAll(SIZES, SIZES).checkAssert((size, b) ->
        assertNull(ByteRange.parse("bytes=" + (size + atMost(b, Long.MAX_VALUE - size)) + "-", size)));
  }

  @Test
  void anyRangeHeaderIsNullOrARangeInsideTheBlob() {
    qt().withExamples(1000).forAll(rangeHeaders(), SIZES)
        .checkAssert((header, size) -> insideTheBlob(ByteRange.parse(header, size), size));
  }

  @Test
  void anyStringIsNullOrARangeInsideTheBlob() {
    qt().withExamples(1000).forAll(anyStrings(100), SIZES)
        .checkAssert((header, size) -> insideTheBlob(ByteRange.parse(header, size), size));
  }

  @Test
  void invalidUtf8DecodedAsARangeIsNullOrARangeInsideTheBlob() {
    qt().withExamples(300).forAll(bytes(0, 100), SIZES).checkAssert((bytes, size) -> {
      insideTheBlob(ByteRange.parse("bytes=" + new String(bytes, StandardCharsets.ISO_8859_1), size), size);
      insideTheBlob(ByteRange.parse(new String(bytes, StandardCharsets.UTF_8), size), size);
    });
  }

  private static void insideTheBlob(long[] range, long size) {
    if (range != null) {
      assertEquals(2, range.length);
      assertTrue(0 <= range[0] && range[0] <= range[1] && range[1] < size,
          range[0] + "-" + range[1] + " of " + size);
    }
  }

  // --- Content-Range --------------------------------------------------------------------------

  @Test
  void aGeneratedContentRangeParsesToItself() {
    qt().withExamples(500).forAll(SIZES, SIZES, contentRangeForms()).checkAssert((start, l, form) -> {
      long end = start + atMost(l, Long.MAX_VALUE - start);
      assertArrayEquals(new long[] {start, end},
          ByteRange.parseContentRange(form.replace("S", Long.toString(start)).replace("E", Long.toString(end))));
    });
  }

  @Test
  void anyContentRangeIsNullOrAnOrderedPairOfOffsets() {
    qt().withExamples(1000).forAll(rangeHeaders()).checkAssert(header -> ordered(ByteRange.parseContentRange(header)));
  }

  @Test
  void anyStringIsNullOrAnOrderedPairOfOffsets() {
    qt().withExamples(1000).forAll(anyStrings(100)).checkAssert(header -> ordered(ByteRange.parseContentRange(header)));
  }

  private static void ordered(long[] range) {
    if (range != null) {
      assertEquals(2, range.length);
      assertTrue(0 <= range[0] && range[0] <= range[1], range[0] + "-" + range[1]);
    }
  }

  /** {@code value} brought into {@code [0, max]} (so that sums of generated offsets do not overflow). */
  static long atMost(long value, long max) {
    return max == Long.MAX_VALUE ? value : value % (max + 1);
  }

  // --- generators -----------------------------------------------------------------------------

  /** Headers made of the pieces ranges are made of, overlong numbers included. */
  private static Gen<String> rangeHeaders() {
    Gen<String> number = Generate.oneOf(
        SIZES.map(v -> String.valueOf(v)),
        strings("0123456789", 1, 5000),
        pick("9223372036854775807", "9223372036854775808", "18446744073709551616", "0", "00", "-0", "+1",
            "\u0661", "１"));
    return joined(Generate.oneOf(number, pick("bytes=", "bytes ", "-", ",", "/", "*", " ", "\t", "items=", "BYTES=",
        "\u0000", "\r\n")), 8);
  }

  private static Gen<String> contentRangeForms() {
    return pick("S-E", "bytes S-E", "bytes=S-E", "bytes S-E/*", "S-E/123", " bytes S-E/9223372036854775807 ");
  }
}
