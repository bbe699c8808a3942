package io.connectedregistry.sync;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.pick;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link GetBlob#rangeStart} reads the first byte of the parent's 206 {@code Content-Range}: a
 * hostile parent's header is a byte offset or -1, never an exception.
 */
class GetBlobProperties {
  private static final Gen<Long> OFFSETS = longs().between(0, Long.MAX_VALUE);

  @Test
  void aGeneratedContentRangeParsesToItsStart() {
    Gen<String> totals = Generate.oneOf(OFFSETS.map(v -> String.valueOf(v)), pick("*"));
    qt().withExamples(500).forAll(OFFSETS, OFFSETS, totals)
        .checkAssert((start, end, total) -> assertEquals(start, GetBlob.rangeStart("bytes " + start + "-" + end + "/" + total)));
  }

  /** Headers made of the pieces a Content-Range is made of, overlong and signed numbers included. */
  @Test
  void anyContentRangeIsAnOffsetOrMinusOne() {
    qt().withExamples(1000).forAll(BlobFetcherProperties.contentRangePieces()).checkAssert(GetBlobProperties::offsetOrMinusOne);
  }

  @Test
  void anyStringIsAnOffsetOrMinusOne() {
    qt().withExamples(1000).forAll(anyStrings(100)).checkAssert(GetBlobProperties::offsetOrMinusOne);
  }

  private static void offsetOrMinusOne(String header) {
    long start = GetBlob.rangeStart(header);
    assertTrue(start >= -1, header + " -> " + start);
  }
}
