package io.connectedregistry.bundle;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;

/**
 * How a bundle's tar stream is compressed. The exporter takes it from the output file's name; a
 * reader sniffs the first bytes and never trusts a name.
 */
public enum Compression {
  NONE(".tar"),
  GZIP(".tar.gz"),
  ZSTD(".tar.zst");

  private final String suffix;

  Compression(String suffix) {
    this.suffix = suffix;
  }

  public String suffix() {
    return suffix;
  }

  /** From a file name ending in .tar, .tar.gz (.tgz) or .tar.zst (.tzst); null for any other name. */
  public static Compression forFileName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz")) {
      return GZIP;
    }
    if (lower.endsWith(".tar.zst") || lower.endsWith(".tzst")) {
      return ZSTD;
    }
    if (lower.endsWith(".tar")) {
      return NONE;
    }
    return null;
  }

  /** A stream that compresses into {@code out}; closing it finishes the compressed stream and closes {@code out}. */
  public OutputStream compress(OutputStream out) throws IOException {
    return switch (this) {
      case NONE -> out;
      case GZIP -> new GzipCompressorOutputStream(out);
      // Level 3 (zstd's default): several times faster than gzip at a better ratio.
      case ZSTD -> zstd(out);
    };
  }

  private static OutputStream zstd(OutputStream out) throws IOException {
    try {
      return new ZstdCompressorOutputStream(out, 3);
    } catch (LinkageError e) {
      // zstd-jni unpacks a native library into the temporary folder: a noexec /tmp, or a platform
      // it has no build for, ends here.
      throw BundleException.request("zstd is not available on this machine (" + e
          + "): write .tar.gz or .tar instead");
    }
  }

  /**
   * The compression of the stream {@code in} starts with (gzip 1f 8b, zstd 28 b5 2f fd, else none);
   * {@code in} must support mark/reset, and is left at its start.
   */
  public static Compression sniff(BufferedInputStream in) throws IOException {
    in.mark(4);
    byte[] head = in.readNBytes(4);
    in.reset();
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (head.length == 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
        && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    return NONE;
  }

  private static InputStream zstd(InputStream in) throws IOException {
    try {
      return new ZstdCompressorInputStream(in);
    } catch (LinkageError e) {
      throw BundleException.request("this bundle is compressed with zstd, which is not available on this machine ("
          + e + ")");
    }
  }

  /** A stream of {@code in}'s tar bytes, decompressed as its first bytes say. */
  public static InputStream decompressed(InputStream in) throws IOException {
    BufferedInputStream buffered = in instanceof BufferedInputStream b ? b : new BufferedInputStream(in, 64 * 1024);
    return switch (sniff(buffered)) {
      case NONE -> buffered;
      // Concatenated gzip members are one stream, as gzip(1) reads them.
      case GZIP -> GzipCompressorInputStream.builder().setInputStream(buffered).setDecompressConcatenated(true).get();
      case ZSTD -> zstd(buffered);
    };
  }
}
