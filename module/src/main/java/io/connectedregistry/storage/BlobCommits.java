package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Makes uploads visible as blobs, several at once (a group commit). Each blob's data is fsynced by
 * its own caller first; then the callers that arrive while another commit holds the metadata write
 * lock are taken together by whichever of them gets the lock next: every file renamed into
 * {@code blobs/}, each folder they went into fsynced once, every row inserted, one SQLite commit
 * (one fsync). No caller returns before the commit that holds its row, so what it acknowledges is
 * as durable as before, and a kill -9 leaves the same states as one blob at a time: the upload
 * untouched, a blob file with no row (collected as an orphan, or taken by a retry), or the blob.
 *
 * <p>A sync cycle commits dozens of blobs at once on the storage workers; one at a time, each took
 * a folder fsync and a commit fsync under the write lock, and the others waited in line for them.
 *
 * <p>One blob's failure (its upload cancelled meanwhile, a failed rename) fails that blob alone;
 * a failure of the folder fsync or of the commit fails every blob of that group (nothing of it
 * committed). The queue and the hand-off between callers are {@link GroupCommit}'s.
 */
final class BlobCommits {
  /** Blobs one commit takes at most: the write lock it holds stays short for a client's push. */
  static final int MAX_PER_COMMIT = 64;

  /** One blob to commit: its upload's file, already fsynced, and where it goes. */
  static final class Pending {
    final UploadHandle upload;
    final Path source;
    final Path target;
    final String repository;
    final Digest digest;
    final long size;

    Pending(UploadHandle upload, Path source, Path target, String repository, Digest digest, long size) {
      this.upload = upload;
      this.source = source;
      this.target = target;
      this.repository = repository;
      this.digest = digest;
      this.size = size;
    }
  }

  private final MetadataStore metadata;
  private final GroupCommit<Pending, Void> group;

  BlobCommits(MetadataStore metadata) {
    this.metadata = metadata;
    this.group = new GroupCommit<>(metadata, MAX_PER_COMMIT, this::apply);
  }

  /**
   * Commits {@code blob} (alone or with others waiting at the same time) and returns once its row
   * is committed; throws what failed it. Blocking: storage workers only.
   */
  void commit(Pending blob) throws IOException {
    group.commit(blob);
  }

  /** Blobs waiting to be committed: what the next commit takes. */
  int waiting() {
    return group.waiting();
  }

  /** Inside the write transaction: renames, one fsync per folder, then the rows. */
  private void apply(java.sql.Connection c, List<GroupCommit.Member<Pending, Void>> members) throws Exception {
    Set<Path> created = new LinkedHashSet<>();
    Set<Path> folders = new LinkedHashSet<>();
    List<Pending> placed = new ArrayList<>();
    for (GroupCommit.Member<Pending, Void> m : members) {
      Pending p = m.item;
      try {
        // Under the metadata write lock: the garbage collector cannot remove this blob's file
        // between the existence check and the insert below.
        if (!Files.exists(p.target)) {
          if (!Files.exists(p.source)) {
            p.upload.requireNotGone();
            throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + p.upload.id() + " was cancelled or expired");
          }
          Path folder = p.target.getParent();
          Fsync.createDirectories(folder, created);
          try {
            Files.move(p.source, p.target, StandardCopyOption.ATOMIC_MOVE);
          } catch (AtomicMoveNotSupportedException e) {
            throw new StorageException("the data folder must be on one filesystem (atomic rename failed)", e);
          }
          folders.add(folder);
        } else {
          // Stored already, or left by a commit whose folder fsync failed after its rename: its
          // entry may not be durable yet, and this row must not commit before it is.
          folders.add(p.target.getParent());
        }
        placed.add(p);
      } catch (IOException | RuntimeException e) {
        m.fail(e);
      }
    }
    // After every rename, so the first fsync writes them all; before any row is committed. New
    // folders' entries first (all under blobs/sha256: one fsync), then the folders renamed into.
    for (Path parent : created) {
      Fsync.directory(parent);
    }
    for (Path folder : folders) {
      Fsync.directory(folder);
    }
    for (Pending p : placed) {
      metadata.insertBlobAndLink(c, p.repository, p.digest, p.size);
    }
  }
}
