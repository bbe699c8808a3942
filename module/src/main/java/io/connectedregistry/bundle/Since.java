package io.connectedregistry.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Where an incremental export starts: a change-log cursor, and when it was read from an earlier
 * bundle, the store that bundle came from and the repositories it covered.
 *
 * @param store null when only a number was given (it cannot be checked)
 * @param repositories null when only a number was given; else what the earlier bundle covered
 */
public record Since(long cursor, String store, List<String> repositories) {

  /** The largest {@code connected-registry-bundle.json} read: it lists omitted blobs, so it can be long. */
  private static final int MAX_METADATA_BYTES = 64 * 1024 * 1024;

  /**
   * Whether the target received {@code repository} up to the cursor. Unknown for a bare cursor
   * (assumed yes); for an earlier bundle, only the repositories it covered.
   */
  boolean covered(String repository) {
    return repositories == null || repositories.contains(repository);
  }

  public static Since cursor(long cursor) {
    if (cursor < 0) {
      throw BundleException.request("--since " + cursor + ": a cursor is 0 or more");
    }
    return new Since(cursor, null, null);
  }

  /** {@code --since}'s value: a number (a cursor), else the path of an earlier bundle. */
  public static Since parse(String value) {
    if (value.matches("[0-9]{1,18}")) {
      return cursor(Long.parseLong(value));
    }
    BundleMetadata earlier = readMetadata(Path.of(value));
    return new Since(earlier.cursor(), earlier.store(), earlier.repositories());
  }

  /** The metadata of the bundle in {@code file} (any compression, the entry anywhere in the tar). */
  public static BundleMetadata readMetadata(Path file) {
    try (InputStream raw = Files.newInputStream(file);
        TarArchiveInputStream tar = new TarArchiveInputStream(Compression.decompressed(raw))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        String name = entry.getName().startsWith("./") ? entry.getName().substring(2) : entry.getName();
        if (entry.isFile() && name.equals(BundleMetadata.ENTRY)) {
          if (entry.getSize() > MAX_METADATA_BYTES) {
            throw BundleException.request(file + ": " + BundleMetadata.ENTRY + " is larger than "
                + MAX_METADATA_BYTES + " bytes");
          }
          return BundleMetadata.parse(tar.readNBytes((int) entry.getSize()));
        }
      }
    } catch (NoSuchFileException e) {
      throw BundleException.request("--since " + file + ": no such file (give a bundle file or a cursor number)");
    } catch (IOException e) {
      throw BundleException.request("--since " + file + ": not a readable bundle: " + e.getMessage());
    }
    throw BundleException.request("--since " + file + " is not a connected-registry bundle (it has no "
        + BundleMetadata.ENTRY + ")");
  }
}
