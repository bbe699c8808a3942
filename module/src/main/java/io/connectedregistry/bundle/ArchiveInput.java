package io.connectedregistry.bundle;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * Opens a bundle stream as a tar archive, decompressing gzip or zstd as its first bytes say (never
 * the file name: a renamed file, or a body with no name at all, must still be read right).
 */
final class ArchiveInput {
  private static final byte[] GZIP = {0x1f, (byte) 0x8b};
  private static final byte[] ZSTD = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};

  enum Compression { NONE, GZIP, ZSTD }

  private ArchiveInput() {}

  static TarArchiveInputStream open(InputStream raw) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 64 * 1024);
    return new TarArchiveInputStream(decompressed(in, sniff(in)));
  }

  static Compression sniff(BufferedInputStream in) throws IOException {
    in.mark(ZSTD.length);
    byte[] head = in.readNBytes(ZSTD.length);
    in.reset();
    if (startsWith(head, ZSTD)) {
      return Compression.ZSTD;
    }
    if (startsWith(head, GZIP)) {
      return Compression.GZIP;
    }
    return Compression.NONE;
  }

  private static InputStream decompressed(BufferedInputStream in, Compression compression) throws IOException {
    return switch (compression) {
      // Concatenated members are one stream (pigz, or `cat a.gz b.gz`), as gzip -d reads them.
      case GZIP -> GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(true).get();
      case ZSTD -> new ZstdCompressorInputStream(in);
      case NONE -> in;
    };
  }

  private static boolean startsWith(byte[] head, byte[] magic) {
    if (head.length < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if (head[i] != magic[i]) {
        return false;
      }
    }
    return true;
  }
}
