package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ByteRangeTest {
  @Test
  void closedOpenAndSuffixRangesResolveAgainstTheBlobSize() {
    assertArrayEquals(new long[] {0, 9}, ByteRange.parse("bytes=0-9", 100));
    assertArrayEquals(new long[] {90, 99}, ByteRange.parse("bytes=90-", 100));
    assertArrayEquals(new long[] {80, 99}, ByteRange.parse("bytes=-20", 100));
    assertArrayEquals(new long[] {95, 99}, ByteRange.parse("bytes=95-1000", 100));
  }

  @Test
  void unsatisfiableOrMalformedRangesAreNull() {
    assertNull(ByteRange.parse("bytes=100-", 100));
    assertNull(ByteRange.parse("bytes=5-2", 100));
    assertNull(ByteRange.parse("bytes=-", 100));
    assertNull(ByteRange.parse("bytes=0-1,3-4", 100));
    assertNull(ByteRange.parse("items=0-1", 100));
    assertNull(ByteRange.parse("bytes=-0", 100));
  }

  @Test
  void uploadContentRangesAcceptTheFormsClientsSend() {
    assertArrayEquals(new long[] {0, 99}, ByteRange.parseContentRange("0-99"));
    assertArrayEquals(new long[] {100, 199}, ByteRange.parseContentRange("bytes 100-199/*"));
    assertNull(ByteRange.parseContentRange("10-5"));
    assertNull(ByteRange.parseContentRange("abc"));
  }
}
