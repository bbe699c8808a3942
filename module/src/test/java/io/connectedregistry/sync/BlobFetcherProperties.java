package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * {@link BlobFetcher#blobLength} reads the whole blob's size from the parent's {@code Content-Range}
 * (206) or {@code Content-Length} (200): a size, or -1 when the headers do not say one — never an
 * exception, and never a negative size other than -1.
 */
class BlobFetcherProperties {

  @Property
  void aPartialAnswerTellsTheTotalOfItsContentRange(@ForAll @LongRange(min = 0) long start,
      @ForAll @LongRange(min = 0) long total, @ForAll @LongRange(min = 0) long offset) {
    assertEquals(total, BlobFetcher.blobLength(206, "bytes " + start + "-" + total + "/" + total, null, offset));
  }

  @Property
  void aWholeAnswerTellsItsContentLengthPlusTheOffsetAlreadyHeld(@ForAll @LongRange(min = 0) long length,
      @ForAll @LongRange(min = 0) long offset) {
    Assume.that(length <= Long.MAX_VALUE - offset);
    assertEquals(length + offset, BlobFetcher.blobLength(200, null, String.valueOf(length), offset));
  }

  @Property
  void anUnknownTotalOrMissingHeaderIsMinusOne(@ForAll @LongRange(min = 0) long offset) {
    assertEquals(-1, BlobFetcher.blobLength(206, "bytes 0-1/*", null, offset));
    assertEquals(-1, BlobFetcher.blobLength(206, null, "5", offset));
    assertEquals(-1, BlobFetcher.blobLength(200, null, null, offset));
  }

  @Example
  void aNegativeOrSignedSizeIsMinusOneNotASize() {
    assertEquals(-1, BlobFetcher.blobLength(200, null, "-7", 100)); // was 93
    assertEquals(-1, BlobFetcher.blobLength(200, null, "-2", 0)); // was -2
    assertEquals(-1, BlobFetcher.blobLength(206, "bytes 0-1/-5", null, 0)); // was -5
    assertEquals(-1, BlobFetcher.blobLength(200, null, "9223372036854775807", 1)); // was Long.MIN_VALUE
  }

  @Property(tries = 1000)
  void anyHeadersAreASizeOrMinusOne(@ForAll("statuses") int status, @ForAll("contentRanges") String range,
      @ForAll("contentLengths") String length, @ForAll @LongRange(min = 0) long offset) {
    long size = BlobFetcher.blobLength(status, range, length, offset);
    assertTrue(size >= -1, range + " / " + length + " at " + offset + " -> " + size);
  }

  @Property(tries = 1000)
  void anyStringsAreASizeOrMinusOne(@ForAll("statuses") int status, @ForAll String range, @ForAll String length,
      @ForAll @LongRange(min = 0) long offset) {
    long size = BlobFetcher.blobLength(status, range, length, offset);
    assertTrue(size >= -1, range + " / " + length + " at " + offset + " -> " + size);
  }

  @Provide
  Arbitrary<Integer> statuses() {
    return Arbitraries.of(200, 206);
  }

  @Provide
  Arbitrary<String> contentRanges() {
    return contentRangePieces();
  }

  @Provide
  Arbitrary<String> contentLengths() {
    return numbers().injectNull(0.1);
  }

  static Arbitrary<String> numbers() {
    return Arbitraries.oneOf(
        Arbitraries.longs().map(String::valueOf),
        Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(2000),
        Arbitraries.of("9223372036854775807", "9223372036854775808", "-1", "-0", "+5", " 7 ", "", "\u0661"));
  }

  static Arbitrary<String> contentRangePieces() {
    Arbitrary<String> piece = Arbitraries.oneOf(numbers(),
        Arbitraries.of("bytes ", "bytes=", "-", "/", "*", " ", "\t", "\u0000"));
    return piece.list().ofMaxSize(8).map(pieces -> String.join("", pieces)).injectNull(0.05);
  }
}
