package io.connectedregistry.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectedregistry.bundle.ExportPlan.BlobItem;
import io.connectedregistry.bundle.ExportPlan.IndexEntry;
import io.connectedregistry.bundle.ExportPlan.ManifestItem;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.InvalidReferenceException;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.storage.Fsync;
import io.connectedregistry.storage.StorageException;
import io.connectedregistry.storage.StoreReader;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.io.output.CloseShieldOutputStream;

/**
 * Writes an offline bundle (BUNDLE-FORMAT.md) of some repositories of a data folder: an OCI image
 * layout as one tar stream, optionally compressed. The bundle package's entry point for export.
 *
 * <p>It reads the store through {@link StoreReader}, without the store's lock, so it works on the
 * data folder of a running registry: the contents are decided in one read snapshot, then the blob
 * files (immutable) are streamed, each hashed on the way so a corrupt file is never carried to a
 * site. A blob removed meanwhile (garbage collection) fails the export, naming it; a file output
 * is written as {@code FILE.partial} and renamed only when complete.
 */
public final class BundleExporter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK = 256 * 1024;
  private static final byte[] OCI_LAYOUT = "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);

  private final Path dataDir;
  private final Clock clock;

  public BundleExporter(Path dataDir, Clock clock) {
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.clock = clock;
  }

  /**
   * @param repositories the repositories to export (at least one)
   * @param since null for a full bundle
   */
  public record Request(List<String> repositories, Since since) {
    public Request {
      repositories = List.copyOf(new LinkedHashSet<>(repositories));
      if (repositories.isEmpty()) {
        throw BundleException.request("name at least one --repository to export");
      }
      for (String r : repositories) {
        try {
          RepositoryName.of(r);
        } catch (InvalidReferenceException e) {
          throw BundleException.request("--repository " + r + " is not a valid repository name");
        }
      }
    }
  }

  /**
   * What was written.
   *
   * @param images tagged images
   * @param bytes content bytes (manifests and blobs, before tar headers and compression)
   * @param dockerFormatTags {@code repository:tag} of the tags whose manifest has a Docker media
   *     type: skopeo's oci-archive transport skips those descriptors (it looks for OCI types only),
   *     so only this registry's import reads them
   */
  public record Result(BundleMetadata metadata, long images, int manifests, int blobs, long bytes,
      List<String> dockerFormatTags) {}

  /** Writes the bundle to {@code file} (via {@code file.partial}); nothing is left behind on failure. */
  public Result exportToFile(Request request, Path file, Compression compression, TransferListener listener) {
    Path target = file.toAbsolutePath().normalize();
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try (StoreReader reader = open()) {
      ExportPlan plan = plan(reader, request); // before any file: a refused request leaves nothing
      Thread cleanup = new Thread(() -> deleteQuietly(partial), "bundle-partial-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup); // Ctrl-C: no half bundle that looks like one
      boolean done = false;
      try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        write(plan, reader, CloseShieldOutputStream.wrap(Channels.newOutputStream(channel)), compression, listener);
        channel.force(true); // a disk carried away must hold what the command said it wrote
        channel.close();
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Fsync.directory(target.getParent());
        done = true;
        return result(plan);
      } catch (IOException e) {
        throw BundleException.failure("cannot write " + target + ": " + e.getMessage(), e);
      } finally {
        if (!done) {
          deleteQuietly(partial);
        }
        removeHook(cleanup);
      }
    }
  }

  /** Writes the bundle to {@code out} (stdout); {@code out} is flushed, not closed. */
  public Result exportTo(Request request, OutputStream out, Compression compression, TransferListener listener) {
    try (StoreReader reader = open()) {
      ExportPlan plan = plan(reader, request);
      write(plan, reader, CloseShieldOutputStream.wrap(out), compression, listener);
      out.flush();
      return result(plan);
    } catch (IOException e) {
      throw BundleException.failure("cannot write the bundle: " + e.getMessage(), e);
    }
  }

  private StoreReader open() {
    try {
      return StoreReader.open(dataDir);
    } catch (StorageException e) {
      throw BundleException.failure(e.getMessage(), e);
    }
  }

  private ExportPlan plan(StoreReader reader, Request request) {
    Instant now = clock.instant();
    return reader.snapshot(snapshot ->
        new ExportPlanner(snapshot, dataDir.toString()).plan(request.repositories(), request.since(), now));
  }

  private static Result result(ExportPlan plan) {
    List<String> docker = plan.index().stream()
        .filter(e -> e.tag() != null && e.mediaType().startsWith("application/vnd.docker."))
        .map(e -> e.repository() + ":" + e.tag())
        .toList();
    return new Result(plan.metadata(), plan.taggedImages(), plan.manifests().size(), plan.blobs().size(),
        plan.contentBytes(), docker);
  }

  // ---- the tar stream ----

  private void write(ExportPlan plan, StoreReader reader, OutputStream out, Compression compression,
      TransferListener listener) throws IOException {
    listener.started(plan.contentBytes(), plan.taggedImages());
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(
        compression.compress(new BufferedOutputStream(out, CHUNK)), StandardCharsets.UTF_8.name())) {
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX); // layers over 8 GiB
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      FileTime time = FileTime.from(Instant.parse(plan.metadata().createdAt()));
      entry(tar, "oci-layout", OCI_LAYOUT, time);
      entry(tar, BundleMetadata.ENTRY, plan.metadata().toJson(), time);
      entry(tar, "index.json", indexJson(plan.index()), time);
      long position = 0;
      int imagesDone = 0;
      long[] ends = plan.imageEnds();
      for (ManifestItem manifest : plan.manifests()) {
        entry(tar, blobPath(manifest.digest()), manifest.bytes(), time);
        listener.transferred(manifest.bytes().length);
        imagesDone = imagesDone(ends, imagesDone, position++, listener);
      }
      for (BlobItem blob : plan.blobs()) {
        copyBlob(tar, reader, blob, time, listener);
        imagesDone = imagesDone(ends, imagesDone, position++, listener);
      }
      tar.finish();
    } finally {
      listener.finished();
    }
  }

  private static int imagesDone(long[] ends, int done, long position, TransferListener listener) {
    while (done < ends.length && ends[done] <= position) {
      listener.imageDone();
      done++;
    }
    return done;
  }

  private static void entry(TarArchiveOutputStream tar, String name, byte[] bytes, FileTime time) throws IOException {
    tar.putArchiveEntry(tarEntry(name, bytes.length, time));
    tar.write(bytes);
    tar.closeArchiveEntry();
  }

  private static TarArchiveEntry tarEntry(String name, long size, FileTime time) {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setSize(size);
    entry.setMode(0100644);
    entry.setLastModifiedTime(time);
    return entry;
  }

  private void copyBlob(TarArchiveOutputStream tar, StoreReader reader, BlobItem blob, FileTime time,
      TransferListener listener) throws IOException {
    Path file = reader.blobFile(blob.digest());
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      // Open: the garbage collector may unlink it now and the bytes stay readable.
      long size = channel.size();
      if (size != blob.size()) {
        throw BundleException.failure("blob " + blob.digest() + " in " + dataDir + " has " + size
            + " bytes, and the store records " + blob.size() + ": the data folder is damaged", null);
      }
      tar.putArchiveEntry(tarEntry(blobPath(blob.digest()), size, time));
      MessageDigest hasher = blob.digest().newHasher();
      byte[] buffer = new byte[CHUNK];
      long left = size;
      InputStream in = Channels.newInputStream(channel);
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw BundleException.failure("blob " + blob.digest() + " in " + dataDir + " ended early", null);
        }
        hasher.update(buffer, 0, n);
        tar.write(buffer, 0, n);
        listener.transferred(n);
        left -= n;
      }
      Digest actual = Digest.fromHasher(blob.digest().algorithm(), hasher);
      if (!actual.equals(blob.digest())) {
        throw BundleException.failure("blob " + blob.digest() + " in " + dataDir + " is corrupt (its bytes hash to "
            + actual + "): the data folder is damaged; nothing was exported", null);
      }
      tar.closeArchiveEntry();
    } catch (NoSuchFileException e) {
      throw BundleException.failure("blob " + blob.digest() + " disappeared from " + dataDir + " while exporting"
          + " (removed by garbage collection?); export again", e);
    }
  }

  private static String blobPath(Digest digest) {
    return "blobs/" + digest.algorithm() + "/" + digest.hex();
  }

  private static byte[] indexJson(List<IndexEntry> entries) {
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    for (IndexEntry e : entries) {
      ObjectNode d = manifests.addObject();
      d.put("mediaType", e.mediaType());
      d.put("digest", e.digest().toString());
      d.put("size", e.size());
      ObjectNode annotations = d.putObject("annotations");
      if (e.tag() != null) {
        annotations.put("org.opencontainers.image.ref.name", e.repository() + ":" + e.tag());
      }
      annotations.put("io.connectedregistry.repository", e.repository());
    }
    try {
      return JSON.writeValueAsBytes(index);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // best effort: the name says it is partial
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // the JVM is shutting down: the hook runs
    }
  }
}
