package io.connectedregistry.bundle;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.storage.UploadHandle;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Every file of an archive, read once as a stream: the few small documents that describe it
 * ({@link #DOCUMENTS}) in memory, everything else staged as an upload of the store (hashed as it
 * is written, on the data folder's file system, so committing it later is a rename). Nothing is
 * visible to clients until the import commits; {@link #discard()} cancels every upload.
 *
 * <p>Paths: a leading {@code ./} is dropped; absolute paths, {@code ..} segments, backslashes and
 * NUL refuse the whole archive (a writer that makes them is broken or hostile); directories and
 * special files are ignored; links are kept as aliases of the entry they name (old {@code docker
 * save} links repeated layers) and must stay inside the archive.
 */
final class StagedArchive implements AutoCloseable {
  /** The repository staging uploads belong to (never linked: blobs are committed into the repositories that need them). */
  static final String STAGING_REPOSITORY = "bundle-import";
  static final Set<String> DOCUMENTS = Set.of(
      "oci-layout", "index.json", BundleMetadata.ENTRY, "manifest.json", "repositories");
  static final int MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
  private static final int MAX_PATH = 1024;
  private static final Pattern BLOB_PATH = Pattern.compile("blobs/sha256/(.*)");
  /** docker save's config and skopeo's layers are named by their digest: checked like blobs. */
  private static final Pattern DIGEST_NAMED = Pattern.compile("([a-f0-9]{64})\\.(?:json|tar)");
  private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");

  /** A staged file: an upload of {@link #STAGING_REPOSITORY}. */
  record StagedFile(String path, String uploadId, Digest digest, long size) {}

  private final RegistryStorage storage;
  private final Map<String, byte[]> documents = new HashMap<>();
  private final Map<String, StagedFile> files = new LinkedHashMap<>();
  private final Map<String, String> links = new HashMap<>();
  /** Each staged blob once: an archive may hold the same bytes under several names. */
  private final Map<Digest, StagedFile> byDigest = new LinkedHashMap<>();
  private final List<String> uploads = new ArrayList<>();
  private long bytes;
  private int entries;

  private StagedArchive(RegistryStorage storage) {
    this.storage = storage;
  }

  /**
   * Blocking: reads the whole archive. On any failure every upload is cancelled before the
   * exception leaves, and the exception names the entry.
   */
  static StagedArchive read(RegistryStorage storage, InputStream in, BundleLimits limits) {
    StagedArchive staged = new StagedArchive(storage);
    try {
      staged.readAll(in, limits);
      return staged;
    } catch (RuntimeException e) {
      staged.discard();
      throw e;
    }
  }

  private void readAll(InputStream raw, BundleLimits limits) {
    String current = null;
    String last = null;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(Compression.decompressed(raw))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (++entries > limits.maxEntries()) {
          throw invalid("the archive has more than " + limits.maxEntries() + " entries");
        }
        String path = path(entry.getName());
        current = path;
        if (entry.isDirectory()) {
          continue;
        }
        if (entry.isSymbolicLink() || entry.isLink()) {
          link(path, entry);
        } else if (entry.isFile()) {
          if (files.containsKey(path) || documents.containsKey(path)) {
            throw invalid(path + " appears twice in the archive");
          }
          if (DOCUMENTS.contains(path)) {
            documents.put(path, document(tar, entry, path));
          } else {
            stage(tar, entry, path);
          }
        }
        bytes += entry.getSize();
        last = path;
        current = null;
      }
    } catch (BundleException e) {
      throw invalid(e.getMessage()); // zstd unavailable here: the sender can send .tar.gz
    } catch (EOFException e) {
      throw truncated(current, last, e);
    } catch (IOException e) {
      if (current != null || isTruncation(e)) {
        throw truncated(current, last, e);
      }
      throw invalid("unreadable archive" + (last == null ? "" : " after " + last) + ": " + e.getMessage());
    }
  }

  private static boolean isTruncation(IOException e) {
    String message = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    return message.contains("truncated") || message.contains("end of") || message.contains("premature");
  }

  private static RegistryException truncated(String current, String last, IOException e) {
    String where = current != null ? "inside " + current
        : last != null ? "after " + last : "at its start";
    return invalid("the archive is truncated or corrupt " + where + " (" + e.getMessage()
        + "): nothing was imported; copy the bundle again");
  }

  /** The entry's path, normalised; refuses what could name a file outside the archive. */
  static String path(String name) {
    String p = name;
    while (p.startsWith("./")) {
      p = p.substring(2);
    }
    if (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.isEmpty() && name.startsWith(".")) {
      return "";
    }
    if (p.isEmpty() || p.length() > MAX_PATH || p.startsWith("/") || p.indexOf('\0') >= 0
        || p.indexOf('\\') >= 0) {
      throw invalid("refused entry '" + printable(name) + "': only relative paths inside the archive");
    }
    for (String segment : p.split("/", -1)) {
      if (segment.equals("..") || segment.isEmpty()) {
        throw invalid("refused entry '" + printable(name) + "': a path with '..' or an empty segment");
      }
    }
    return p;
  }

  private static String printable(String name) {
    String cut = name.length() > 200 ? name.substring(0, 200) + "..." : name;
    return cut.replaceAll("[\\p{Cntrl}]", "?");
  }

  private void link(String path, TarArchiveEntry entry) {
    String target = entry.getLinkName();
    String resolved;
    if (entry.isSymbolicLink()) {
      if (target.startsWith("/")) {
        throw invalid("refused link " + path + " -> " + printable(target) + ": it points outside the archive");
      }
      int slash = path.lastIndexOf('/');
      resolved = normalise((slash < 0 ? "" : path.substring(0, slash + 1)) + target, path, target);
    } else {
      resolved = normalise(target, path, target);
    }
    links.put(path, resolved);
  }

  private static String normalise(String joined, String path, String target) {
    java.util.Deque<String> parts = new java.util.ArrayDeque<>();
    for (String segment : joined.split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        if (parts.isEmpty()) {
          throw invalid("refused link " + path + " -> " + printable(target) + ": it points outside the archive");
        }
        parts.removeLast();
      } else {
        parts.addLast(segment);
      }
    }
    return String.join("/", parts);
  }

  private static byte[] document(TarArchiveInputStream tar, TarArchiveEntry entry, String path) throws IOException {
    if (entry.getSize() > MAX_DOCUMENT_BYTES) {
      throw invalid(path + " is " + entry.getSize() + " bytes, more than the " + MAX_DOCUMENT_BYTES
          + " bytes allowed");
    }
    byte[] content = tar.readNBytes((int) entry.getSize());
    if (content.length != entry.getSize()) {
      throw new EOFException("ended after " + content.length + " of " + entry.getSize() + " bytes");
    }
    return content;
  }

  private void stage(TarArchiveInputStream tar, TarArchiveEntry entry, String path) throws IOException {
    var blobName = BLOB_PATH.matcher(path);
    if (blobName.matches() && !SHA256_HEX.matcher(blobName.group(1)).matches()) {
      throw invalid("refused entry " + path + ": a blob's name is the 64 hex digits of its sha256");
    }
    String id = storage.startUpload(STAGING_REPOSITORY).id();
    uploads.add(id);
    long expected = entry.getSize();
    long written = 0;
    Digest digest;
    try (UploadHandle upload = storage.openUpload(STAGING_REPOSITORY, id)) {
      byte[] buffer = new byte[256 * 1024];
      while (written < expected) {
        int n = tar.read(buffer, 0, (int) Math.min(buffer.length, expected - written));
        if (n < 0) {
          throw new EOFException("ended after " + written + " of " + expected + " bytes");
        }
        try {
          upload.append(ByteBuffer.wrap(buffer, 0, n));
        } catch (IOException e) {
          // The data folder failed, not the archive: not reported as a corrupt bundle.
          throw new UncheckedIOException("cannot stage " + path + " in the data folder: " + e.getMessage(), e);
        }
        written += n;
      }
      digest = upload.digest("sha256");
    }
    if (blobName.matches() && !digest.hex().equals(blobName.group(1))) {
      throw ErrorCode.DIGEST_INVALID.exception(path + ": its content has digest " + digest
          + ", not sha256:" + blobName.group(1) + " (the bundle is corrupt: nothing was imported)");
    }
    var digestNamed = DIGEST_NAMED.matcher(path);
    if (digestNamed.matches() && !digest.hex().equals(digestNamed.group(1))) {
      throw ErrorCode.DIGEST_INVALID.exception(path + ": its content has digest " + digest
          + ", not the sha256:" + digestNamed.group(1) + " its name says (the archive is corrupt: nothing was imported)");
    }
    StagedFile file = new StagedFile(path, id, digest, written);
    files.put(path, file);
    if (byDigest.putIfAbsent(digest, file) != null) {
      storage.cancelUpload(STAGING_REPOSITORY, id); // the same bytes again: keep one copy
      uploads.remove(id);
    }
  }

  /** A small document by path ({@link #DOCUMENTS}), if the archive has it. */
  byte[] document(String path) {
    return documents.get(path);
  }

  boolean hasDocument(String path) {
    return documents.containsKey(path);
  }

  /** A staged file by path, following links. */
  StagedFile file(String path) {
    String p = path;
    for (int hops = 0; hops < 16 && links.containsKey(p); hops++) {
      p = links.get(p);
    }
    StagedFile file = files.get(p);
    return file == null ? null : byDigest.get(file.digest());
  }

  /** A staged blob by digest (whatever its name). */
  StagedFile blob(Digest digest) {
    return byDigest.get(digest);
  }

  /** Blocking: the bytes of a staged file of at most {@code max} bytes (a manifest). */
  byte[] read(StagedFile file, int max) {
    if (file.size() > max) {
      throw invalid(file.path() + " is " + file.size() + " bytes, more than the " + max
          + " bytes a manifest may have");
    }
    try (FileChannel channel = storage.readUpload(STAGING_REPOSITORY, file.uploadId())) {
      ByteBuffer buffer = ByteBuffer.allocate((int) file.size());
      while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) >= 0) {
        // read until full
      }
      return buffer.array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Blocking: the first {@code n} bytes of a staged file (fewer when it is shorter). */
  byte[] head(StagedFile file, int n) {
    try (FileChannel channel = storage.readUpload(STAGING_REPOSITORY, file.uploadId())) {
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(n, file.size()));
      while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) >= 0) {
        // read until full
      }
      return buffer.array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  long bytes() {
    return bytes;
  }

  /** Uploads still staged (for tests and the report). */
  List<String> uploads() {
    return List.copyOf(uploads);
  }

  /** The upload of a staged blob is committed: no longer ours to cancel. */
  void committed(StagedFile file) {
    uploads.remove(file.uploadId());
  }

  /** Blocking: cancels every upload still staged. Idempotent. */
  void discard() {
    for (String id : List.copyOf(uploads)) {
      try {
        storage.cancelUpload(STAGING_REPOSITORY, id);
      } catch (RuntimeException e) {
        // expiry removes what this could not
      }
      uploads.remove(id);
    }
  }

  @Override
  public void close() {
    discard();
  }

  static RegistryException invalid(String detail) {
    return ErrorCode.REQUEST_INVALID.exception(detail);
  }
}
