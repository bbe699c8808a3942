package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * {@link GetBlob#rangeStart} reads the first byte of the parent's 206 {@code Content-Range}: a
 * hostile parent's header is a byte offset or -1, never an exception.
 */
class GetBlobProperties {

  @Property
  void aGeneratedContentRangeParsesToItsStart(@ForAll @LongRange(min = 0) long start,
      @ForAll @LongRange(min = 0) long end, @ForAll("totals") String total) {
    assertEquals(start, GetBlob.rangeStart("bytes " + start + "-" + end + "/" + total));
  }

  @Property(tries = 1000)
  void anyContentRangeIsAnOffsetOrMinusOne(@ForAll("contentRanges") String header) {
    long start = GetBlob.rangeStart(header);
    assertTrue(start >= -1, header + " -> " + start);
  }

  @Property(tries = 1000)
  void anyStringIsAnOffsetOrMinusOne(@ForAll String header) {
    long start = GetBlob.rangeStart(header);
    assertTrue(start >= -1, header + " -> " + start);
  }

  @Provide
  Arbitrary<String> totals() {
    return Arbitraries.oneOf(Arbitraries.longs().between(0, Long.MAX_VALUE).map(String::valueOf), Arbitraries.just("*"));
  }

  /** Headers made of the pieces a Content-Range is made of, overlong and signed numbers included. */
  @Provide
  Arbitrary<String> contentRanges() {
    return BlobFetcherProperties.contentRangePieces();
  }
}
