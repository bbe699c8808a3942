package io.connectedregistry.sync;

import static io.connectedregistry.Generators.anyStrings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;

/**
 * {@link UploadResponses#offset} reads the {@code Range: 0-<last>} of the parent's 202 to an
 * upload: a hostile parent's header is a byte count, 0 when unreadable — never an exception and
 * never negative.
 */
class UploadResponsesProperties {

  @Test
  void aGeneratedRangeIsTheBytesReceived() {
    qt().withExamples(500).forAll(longs().between(0, Long.MAX_VALUE - 1)).checkAssert(last -> {
      assertEquals(last + 1, UploadResponses.offset("0-" + last));
      assertEquals(last + 1, UploadResponses.offset("bytes=0-" + last));
    });
  }

  @Test
  void aSignedOrOverflowingRangeIsNoBytes() {
    assertEquals(0, UploadResponses.offset("0--5")); // was -4
    assertEquals(0, UploadResponses.offset("0-9223372036854775807")); // was Long.MIN_VALUE
    assertEquals(0, UploadResponses.offset("0-+5")); // was 6
  }

  @Test
  void anyRangeIsABytesCount() {
    qt().withExamples(1000).forAll(BlobFetcherProperties.contentRangePieces()).checkAssert(UploadResponsesProperties::count);
  }

  @Test
  void anyStringIsABytesCount() {
    qt().withExamples(1000).forAll(anyStrings(100)).checkAssert(UploadResponsesProperties::count);
  }

  private static void count(String range) {
    long offset = UploadResponses.offset(range);
    assertTrue(offset >= 0, range + " -> " + offset);
  }
}
