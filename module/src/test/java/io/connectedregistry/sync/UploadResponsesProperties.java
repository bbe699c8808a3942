package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * {@link UploadResponses#offset} reads the {@code Range: 0-<last>} of the parent's 202 to an
 * upload: a hostile parent's header is a byte count, 0 when unreadable — never an exception and
 * never negative.
 */
class UploadResponsesProperties {

  @Property
  void aGeneratedRangeIsTheBytesReceived(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE - 1) long last) {
    assertEquals(last + 1, UploadResponses.offset("0-" + last));
    assertEquals(last + 1, UploadResponses.offset("bytes=0-" + last));
  }

  @Example
  void aSignedOrOverflowingRangeIsNoBytes() {
    assertEquals(0, UploadResponses.offset("0--5")); // was -4
    assertEquals(0, UploadResponses.offset("0-9223372036854775807")); // was Long.MIN_VALUE
    assertEquals(0, UploadResponses.offset("0-+5")); // was 6
  }

  @Property(tries = 1000)
  void anyRangeIsABytesCount(@ForAll("ranges") String range) {
    long offset = UploadResponses.offset(range);
    assertTrue(offset >= 0, range + " -> " + offset);
  }

  @Property(tries = 1000)
  void anyStringIsABytesCount(@ForAll String range) {
    long offset = UploadResponses.offset(range);
    assertTrue(offset >= 0, range + " -> " + offset);
  }

  @Provide
  Arbitrary<String> ranges() {
    return BlobFetcherProperties.contentRangePieces();
  }
}
