package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * {@link ByteRange} reads a blob GET's {@code Range} and an upload PATCH's {@code Content-Range}
 * as clients send them: whatever the header, the answer is null or a range inside what was asked
 * about, never an exception.
 */
class ByteRangeProperties {

  // --- Range ----------------------------------------------------------------------------------

  @Property
  void aSatisfiableClosedRangeParsesToItself(@ForAll @LongRange(min = 1) long size,
      @ForAll @LongRange(min = 0) long a, @ForAll @LongRange(min = 0) long b) {
    long first = a % size;
    long last = first + b % (size - first);
    assertArrayEquals(new long[] {first, last}, ByteRange.parse("bytes=" + first + "-" + last, size));
  }

  @Property
  void anOpenRangeRunsToTheLastByte(@ForAll @LongRange(min = 1) long size, @ForAll @LongRange(min = 0) long a) {
    long first = a % size;
    assertArrayEquals(new long[] {first, size - 1}, ByteRange.parse("bytes=" + first + "-", size));
  }

  @Property
  void aSuffixRangeIsTheLastBytesOrTheWholeBlob(@ForAll @LongRange(min = 1) long size,
      @ForAll @LongRange(min = 1) long suffix) {
    assertArrayEquals(new long[] {Math.max(0, size - suffix), size - 1}, ByteRange.parse("bytes=-" + suffix, size));
  }

  @Property
  void aRangeEndingPastTheBlobIsCutAtItsEnd(@ForAll @LongRange(min = 1) long size, @ForAll @LongRange(min = 0) long a,
      @ForAll @LongRange(min = 0) long beyond) {
    long first = a % size;
    Assume.that(size - 1 <= Long.MAX_VALUE - beyond);
    assertArrayEquals(new long[] {first, size - 1}, ByteRange.parse("bytes=" + first + "-" + (size - 1 + beyond), size));
  }

  @Property
  void aRangeStartingAtOrPastTheEndIsUnsatisfiable(@ForAll @LongRange(min = 0) long size,
      @ForAll @LongRange(min = 0) long beyond) {
    Assume.that(size <= Long.MAX_VALUE - beyond);
    assertNull(ByteRange.parse("bytes=" + (size + beyond) + "-", size));
  }

  @Property(tries = 1000)
  void anyRangeHeaderIsNullOrARangeInsideTheBlob(@ForAll("rangeHeaders") String header,
      @ForAll @LongRange(min = 0) long size) {
    insideTheBlob(ByteRange.parse(header, size), size);
  }

  @Property(tries = 1000)
  void anyStringIsNullOrARangeInsideTheBlob(@ForAll String header, @ForAll @LongRange(min = 0) long size) {
    insideTheBlob(ByteRange.parse(header, size), size);
  }

  @Property(tries = 300)
  void invalidUtf8DecodedAsARangeIsNullOrARangeInsideTheBlob(@ForAll byte[] bytes,
      @ForAll @LongRange(min = 0) long size) {
    insideTheBlob(ByteRange.parse("bytes=" + new String(bytes, StandardCharsets.ISO_8859_1), size), size);
    insideTheBlob(ByteRange.parse(new String(bytes, StandardCharsets.UTF_8), size), size);
  }

  private static void insideTheBlob(long[] range, long size) {
    if (range != null) {
      assertEquals(2, range.length);
      assertTrue(0 <= range[0] && range[0] <= range[1] && range[1] < size,
          range[0] + "-" + range[1] + " of " + size);
    }
  }

  // --- Content-Range --------------------------------------------------------------------------

  @Property
  void aGeneratedContentRangeParsesToItself(@ForAll @LongRange(min = 0) long start, @ForAll @LongRange(min = 0) long length,
      @ForAll("contentRangeForms") String form) {
    Assume.that(start <= Long.MAX_VALUE - length);
    long end = start + length;
    assertArrayEquals(new long[] {start, end},
        ByteRange.parseContentRange(form.replace("S", Long.toString(start)).replace("E", Long.toString(end))));
  }

  @Property(tries = 1000)
  void anyContentRangeIsNullOrAnOrderedPairOfOffsets(@ForAll("rangeHeaders") String header) {
    ordered(ByteRange.parseContentRange(header));
  }

  @Property(tries = 1000)
  void anyStringIsNullOrAnOrderedPairOfOffsets(@ForAll String header) {
    ordered(ByteRange.parseContentRange(header));
  }

  private static void ordered(long[] range) {
    if (range != null) {
      assertEquals(2, range.length);
      assertTrue(0 <= range[0] && range[0] <= range[1], range[0] + "-" + range[1]);
    }
  }

  // --- generators -----------------------------------------------------------------------------

  /** Headers made of the pieces ranges are made of, overlong numbers included. */
  @Provide
  Arbitrary<String> rangeHeaders() {
    Arbitrary<String> number = Arbitraries.oneOf(
        Arbitraries.longs().between(0, Long.MAX_VALUE).map(String::valueOf),
        Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(5000),
        Arbitraries.of("9223372036854775807", "9223372036854775808", "18446744073709551616", "0", "00", "-0", "+1",
            "\u0661", "１"));
    Arbitrary<String> piece = Arbitraries.oneOf(number, Arbitraries.of("bytes=", "bytes ", "-", ",", "/", "*", " ",
        "\t", "items=", "BYTES=", "\u0000", "\r\n"));
    return piece.list().ofMaxSize(8).map(pieces -> String.join("", pieces));
  }

  @Provide
  Arbitrary<String> contentRangeForms() {
    return Arbitraries.of("S-E", "bytes S-E", "bytes=S-E", "bytes S-E/*", "S-E/123", " bytes S-E/9223372036854775807 ");
  }
}
