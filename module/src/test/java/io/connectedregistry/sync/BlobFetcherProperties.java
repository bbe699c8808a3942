package io.connectedregistry.sync;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.nullable;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link BlobFetcher#blobLength} reads the whole blob's size from the parent's {@code Content-Range}
 * (206) or {@code Content-Length} (200): a size, or -1 when the headers do not say one — never an
 * exception, and never a negative size other than -1.
 */
class BlobFetcherProperties {
  private static final Gen<Long> OFFSETS = longs().between(0, Long.MAX_VALUE);
  private static final Gen<Integer> STATUSES = pick(200, 206);

  @Test
  void aPartialAnswerTellsTheTotalOfItsContentRange() {
    qt().withExamples(500).forAll(OFFSETS, OFFSETS, OFFSETS).checkAssert((start, total, offset) ->
        assertEquals(total, BlobFetcher.blobLength(206, "bytes " + start + "-" + total + "/" + total, null, offset)));
  }

  @Test
  void aWholeAnswerTellsItsContentLengthPlusTheOffsetAlreadyHeld() {
    qt().withExamples(500).forAll(OFFSETS, OFFSETS).checkAssert((l, offset) -> {
      // Lengths that fit beside the offset: the sum is a size, not an overflow.
      long length = offset == 0 ? l : l % (Long.MAX_VALUE - offset + 1);
      assertEquals(length + offset, BlobFetcher.blobLength(200, null, String.valueOf(length), offset));
    });
  }

  @Test
  void anUnknownTotalOrMissingHeaderIsMinusOne() {
    qt().withExamples(500).forAll(OFFSETS).checkAssert(offset -> {
      assertEquals(-1, BlobFetcher.blobLength(206, "bytes 0-1/*", null, offset));
      assertEquals(-1, BlobFetcher.blobLength(206, null, "5", offset));
      assertEquals(-1, BlobFetcher.blobLength(200, null, null, offset));
    });
  }

  @Test
  void aNegativeOrSignedSizeIsMinusOneNotASize() {
    assertEquals(-1, BlobFetcher.blobLength(200, null, "-7", 100)); // was 93
    assertEquals(-1, BlobFetcher.blobLength(200, null, "-2", 0)); // was -2
    assertEquals(-1, BlobFetcher.blobLength(206, "bytes 0-1/-5", null, 0)); // was -5
    assertEquals(-1, BlobFetcher.blobLength(200, null, "9223372036854775807", 1)); // was Long.MIN_VALUE
  }

  @Test
  void anyHeadersAreASizeOrMinusOne() {
    qt().withExamples(1000).forAll(STATUSES, contentRangePieces(), nullable(numbers(), 10), OFFSETS)
        .checkAssert(BlobFetcherProperties::sizeOrMinusOne);
  }

  @Test
  void anyStringsAreASizeOrMinusOne() {
    qt().withExamples(1000).forAll(STATUSES, anyStrings(100), anyStrings(100), OFFSETS)
        .checkAssert(BlobFetcherProperties::sizeOrMinusOne);
  }

  private static void sizeOrMinusOne(int status, String range, String length, long offset) {
    long size = BlobFetcher.blobLength(status, range, length, offset);
    assertTrue(size >= -1, range + " / " + length + " at " + offset + " -> " + size);
  }

  static Gen<String> numbers() {
    return Generate.oneOf(
        longs().all().map(v -> String.valueOf(v)),
        strings("0123456789", 1, 2000),
        pick("9223372036854775807", "9223372036854775808", "-1", "-0", "+5", " 7 ", "", "\u0661"));
  }

  /** Headers made of the pieces a Content-Range is made of, overlong and signed numbers included. */
  static Gen<String> contentRangePieces() {
    return nullable(joined(Generate.oneOf(numbers(), pick("bytes ", "bytes=", "-", "/", "*", " ", "\t", "\u0000")), 8), 5);
  }
}
