package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import java.sql.Connection;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Stores manifests and their tags, several at once (a group commit, as {@link BlobCommits} does
 * for blobs). The callers that arrive while another write holds the metadata write lock are taken
 * together by whichever of them gets the lock next: each manifest is checked and written in turn
 * (its references checked and its tags set in the same transaction as itself, as before), then
 * one SQLite commit (one fsync) makes them all durable. No caller
 * returns before the commit that holds its manifest, and a kill -9 before it leaves none of the
 * group, none of which was acknowledged: the states are the same as one manifest at a time.
 *
 * <p>A sync cycle stores dozens of images' manifests at once on the storage workers; one
 * transaction each, they waited in line behind each other's fsync and the blob commits'.
 *
 * <p>A manifest whose references are missing is an outcome, not a failure: nothing of it is
 * written and the others go on. An error while writing any of them (an SQL or disk error) rolls
 * the whole transaction back and fails every manifest of the group, as it fails the commit:
 * nothing of it is committed, and each caller gets the error (translated as any write's).
 */
final class ManifestCommits {
  /** Manifests one commit takes at most: the write lock it holds stays short for a client's push. */
  static final int MAX_PER_COMMIT = 64;

  /** One manifest to store, and its outcome: the references missing (empty: stored) or a failure. */
  static final class Pending {
    final String repository;
    final Manifest manifest;
    final List<String> tags;
    final ChangeOrigin origin;
    final CompletableFuture<List<Digest>> done = new CompletableFuture<>();
    /** Set under the queue's lock when a commit takes it. */
    boolean taken;

    Pending(String repository, Manifest manifest, List<String> tags, ChangeOrigin origin) {
      this.repository = repository;
      this.manifest = manifest;
      this.tags = List.copyOf(tags);
      this.origin = origin;
    }
  }

  private final MetadataStore metadata;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by itself
  /**
   * Held by the caller whose commit runs: the others wait here, not in a transaction of their
   * own, and find their manifest taken by it (or take what waits, their own included, next).
   */
  private final Object committing = new Object();

  ManifestCommits(MetadataStore metadata) {
    this.metadata = metadata;
  }

  /**
   * Stores {@code manifest} (alone or with others waiting at the same time) and returns once it is
   * committed: the references missing from the repository (then nothing of it was stored), or
   * empty. Throws what failed it. Blocking: storage workers only.
   */
  List<Digest> commit(Pending manifest) {
    synchronized (queue) {
      queue.add(manifest);
    }
    synchronized (committing) {
      if (!taken(manifest)) {
        commitWaiting(manifest);
      }
    }
    return await(manifest);
  }

  private boolean taken(Pending manifest) {
    synchronized (queue) {
      return manifest.taken;
    }
  }

  /** Manifests waiting to be committed: what the next commit takes. */
  int waiting() {
    synchronized (queue) {
      return queue.size();
    }
  }

  private void commitWaiting(Pending manifest) {
    List<Pending> group = new ArrayList<>();
    List<List<Digest>> outcomes = new ArrayList<>();
    try {
      metadata.write(c -> {
        take(group);
        apply(c, group, outcomes);
        return null;
      });
    } catch (RuntimeException | Error e) {
      for (Pending p : group) {
        p.done.completeExceptionally(e);
      }
      synchronized (queue) {
        if (queue.remove(manifest)) {
          throw e; // the write failed before it took anything, this manifest included
        }
      }
      return;
    }
    // Only now, after the commit: what a caller is told is durable.
    for (int i = 0; i < group.size(); i++) {
      group.get(i).done.complete(outcomes.get(i));
    }
  }

  /** Takes what waits (this caller's manifest, unless another commit took it already). */
  private void take(List<Pending> group) {
    synchronized (queue) {
      while (!queue.isEmpty() && group.size() < MAX_PER_COMMIT) {
        Pending p = queue.poll();
        p.taken = true;
        group.add(p);
      }
    }
  }

  /** Inside the write transaction: each manifest's check and writes, in the order they came. */
  private void apply(Connection c, List<Pending> group, List<List<Digest>> outcomes) throws Exception {
    for (Pending p : group) {
      outcomes.add(metadata.putManifestTags(c, p.repository, p.manifest, p.tags, p.origin));
    }
  }

  private static List<Digest> await(Pending manifest) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return manifest.done.get();
        } catch (InterruptedException e) {
          interrupted = true; // the commit is under way: wait for its outcome all the same
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException runtime) {
            throw runtime;
          }
          if (cause instanceof Error error) {
            throw error;
          }
          throw new StorageException("manifest commit failed: " + cause.getMessage(), cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
