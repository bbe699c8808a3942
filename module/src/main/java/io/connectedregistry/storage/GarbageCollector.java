package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.InvalidReferenceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reclaims what nothing references:
 *
 * <ol>
 *   <li>uploads that have not grown for longer than the upload expiry, and uploads started longer
 *       ago than the maximum upload age however recently they grew;
 *   <li>repository links to blobs that no manifest of that repository references;
 *   <li>blobs that no repository links, and blob files without a metadata row (a crash between
 *       rename and commit).
 * </ol>
 *
 * Nothing younger than the cutoff is touched: the cutoff is the grace period ago, or the start of
 * the oldest upload still in progress if earlier, because a client pushes layers before the
 * manifest that references them. Only an upload that grew within the upload expiry counts as in
 * progress, and none lives longer than the maximum age, so a trickling or stalled upload holds
 * collection back for a bounded time only.
 *
 * <p>Crash safety: inside one metadata write transaction each blob file is first renamed into
 * {@code trash/}, then its row deleted. If the process dies before the commit, the rows come back
 * and {@link LocalRegistryStorage#open} moves the files back; after the commit, it purges them.
 * Blob commits take the same write lock, so a blob being committed is never collected half-way.
 */
final class GarbageCollector {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

  private final StoragePaths paths;
  private final MetadataStore metadata;
  private final Uploads uploads;
  private final LocalRegistryStorage.Options options;

  GarbageCollector(StoragePaths paths, MetadataStore metadata, Uploads uploads, LocalRegistryStorage.Options options) {
    this.paths = paths;
    this.metadata = metadata;
    this.uploads = uploads;
    this.options = options;
  }

  int expireUploads() {
    Instant now = options.clock().instant();
    int expired = 0;
    for (String id : uploads.expired(now.minus(options.uploadExpiry()), now.minus(options.uploadMaxAge()))) {
      uploads.delete(id);
      expired++;
    }
    if (expired > 0) {
      LOG.info("deleted {} uploads that did not grow for {} or were started more than {} ago", expired,
          options.uploadExpiry(), options.uploadMaxAge());
    }
    return expired;
  }

  GcReport run() {
    Instant now = options.clock().instant();
    int uploadsExpired = expireUploads();
    Instant cutoff = now.minus(options.gcGrace());
    Instant oldestUpload = uploads.oldestActiveStart(now.minus(options.uploadExpiry())).orElse(cutoff);
    if (oldestUpload.isBefore(cutoff)) {
      cutoff = oldestUpload;
    }
    final Instant effectiveCutoff = cutoff;
    long cutoffMillis = cutoff.toEpochMilli();

    int[] links = new int[1];
    long[] bytes = new long[1];
    int[] orphans = new int[1];
    List<Path> trashed = metadata.write(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM repository_blobs WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM manifest_references r"
              + " WHERE r.repository_id = repository_blobs.repository_id AND r.child_digest = repository_blobs.digest)")) {
        ps.setLong(1, cutoffMillis);
        links[0] = ps.executeUpdate();
      }
      List<Path> moved = new ArrayList<>();
      try (PreparedStatement select = c.prepareStatement(
              "SELECT digest, size FROM blobs b WHERE created_at < ?"
                  + " AND NOT EXISTS (SELECT 1 FROM repository_blobs l WHERE l.digest = b.digest)");
          PreparedStatement delete = c.prepareStatement("DELETE FROM blobs WHERE digest = ?")) {
        select.setLong(1, cutoffMillis);
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            Digest digest = Digest.parse(rs.getString(1));
            Path file = paths.blob(digest);
            if (Files.exists(file)) {
              Path trash = paths.trash().resolve(digest.algorithm() + "-" + digest.hex());
              Files.move(file, trash, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
              moved.add(trash);
            }
            bytes[0] += rs.getLong(2);
            delete.setString(1, digest.toString());
            delete.addBatch();
          }
        }
        delete.executeBatch();
      }
      orphans[0] = deleteOrphanFiles(c, effectiveCutoff);
      return moved;
    });
    for (Path file : trashed) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    GcReport report = new GcReport(links[0], trashed.size(), bytes[0], orphans[0], uploadsExpired);
    LOG.info("{}", report);
    return report;
  }

  /** Blob files with no metadata row, older than the cutoff. Runs under the write lock. */
  private int deleteOrphanFiles(java.sql.Connection c, Instant cutoff) throws Exception {
    int removed = 0;
    try (Stream<Path> walk = Files.walk(paths.blobsRoot());
        PreparedStatement known = c.prepareStatement("SELECT 1 FROM blobs WHERE digest = ?")) {
      for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        Path algorithm = file.getParent().getParent().getFileName();
        Digest digest;
        try {
          digest = new Digest(algorithm.toString(), file.getFileName().toString());
        } catch (InvalidReferenceException e) {
          continue; // not ours: leave foreign files alone
        }
        known.setString(1, digest.toString());
        try (ResultSet rs = known.executeQuery()) {
          if (rs.next()) {
            continue;
          }
        }
        if (Files.getLastModifiedTime(file).toInstant().isBefore(cutoff)) {
          Files.deleteIfExists(file);
          removed++;
        }
      }
    }
    return removed;
  }

  static Digest digestOfTrashFile(Path file) {
    String name = file.getFileName().toString();
    int dash = name.indexOf('-');
    if (dash < 0) {
      return null;
    }
    try {
      return new Digest(name.substring(0, dash), name.substring(dash + 1));
    } catch (InvalidReferenceException e) {
      return null;
    }
  }
}
