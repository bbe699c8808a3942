package io.connectedregistry.storage;

import java.io.IOException;
import java.sql.Connection;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The hand-off of a group commit ({@link BlobCommits}, {@link ManifestCommits}). Callers that
 * arrive while another write holds the metadata write lock queue here; whichever of them gets the
 * lock next takes up to {@code max} waiting items (its own included, unless a commit took it
 * already) into one write transaction, and one SQLite commit (one fsync) makes them all durable.
 * No caller returns before the commit that holds its item: what it acknowledges is as durable as
 * one item at a time, and a kill -9 leaves the same states.
 *
 * <p>The work may fail one member alone ({@link Member#fail}); a failure of the transaction or of
 * its commit fails every member of that group, none of which was committed.
 *
 * @param <T> what is committed
 * @param <R> each item's outcome, delivered after the commit
 */
final class GroupCommit<T, R> {
  /** Inside the write transaction: each member's writes, and its outcome or its own failure. */
  interface Work<T, R> {
    void apply(Connection c, List<Member<T, R>> group) throws Exception;
  }

  /** One item in the queue, and what its caller is told. */
  static final class Member<T, R> {
    final T item;
    private final CompletableFuture<R> done = new CompletableFuture<>();
    private R outcome;
    /** Set under the queue's lock when a commit takes it. */
    private boolean taken;

    private Member(T item) {
      this.item = item;
    }

    /** The outcome its caller gets once the group is committed. */
    void succeed(R result) {
      this.outcome = result;
    }

    /** Fails this member alone, at once: nothing of it may be written. */
    void fail(Throwable e) {
      done.completeExceptionally(e);
    }
  }

  private final MetadataStore metadata;
  private final int max;
  private final Work<T, R> work;
  private final ArrayDeque<Member<T, R>> queue = new ArrayDeque<>(); // guarded by itself
  /**
   * Held by the caller whose commit runs: the others wait here, not in a transaction of their
   * own, and find their item taken by it (or take what waits, their own included, next).
   */
  private final Object committing = new Object();

  GroupCommit(MetadataStore metadata, int max, Work<T, R> work) {
    this.metadata = metadata;
    this.max = max;
    this.work = work;
  }

  /**
   * Commits {@code item} (alone or with others waiting at the same time) and returns its outcome
   * once it is committed; throws what failed it. Blocking: storage workers only.
   */
  R commit(T item) throws IOException {
    Member<T, R> member = new Member<>(item);
    synchronized (queue) {
      queue.add(member);
    }
    synchronized (committing) {
      if (!taken(member)) {
        commitWaiting(member);
      }
    }
    return await(member);
  }

  /** Items waiting to be committed: what the next commit takes. */
  int waiting() {
    synchronized (queue) {
      return queue.size();
    }
  }

  private boolean taken(Member<T, R> member) {
    synchronized (queue) {
      return member.taken;
    }
  }

  private void commitWaiting(Member<T, R> member) {
    List<Member<T, R>> group = new ArrayList<>();
    try {
      metadata.write(c -> {
        take(group);
        work.apply(c, group);
        return null;
      });
    } catch (RuntimeException | Error e) {
      for (Member<T, R> m : group) {
        m.done.completeExceptionally(e);
      }
      synchronized (queue) {
        if (queue.remove(member)) {
          throw e; // the write failed before it took anything, this item included
        }
      }
      return;
    }
    // Only now, after the commit: what a caller is told is durable (a no-op for one failed alone).
    for (Member<T, R> m : group) {
      m.done.complete(m.outcome);
    }
  }

  private void take(List<Member<T, R>> group) {
    synchronized (queue) {
      while (!queue.isEmpty() && group.size() < max) {
        Member<T, R> m = queue.poll();
        m.taken = true;
        group.add(m);
      }
    }
  }

  private static <R> R await(Member<?, R> member) throws IOException {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return member.done.get();
        } catch (InterruptedException e) {
          interrupted = true; // the commit is under way: wait for its outcome all the same
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof IOException io) {
            throw io;
          }
          if (cause instanceof RuntimeException runtime) {
            throw runtime;
          }
          if (cause instanceof Error error) {
            throw error;
          }
          throw new StorageException("commit failed: " + cause.getMessage(), cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
