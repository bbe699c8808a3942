package io.connectedregistry.api;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.sync.ParentStatusException;
import io.connectedregistry.sync.ParentUnavailableException;
import io.connectedregistry.sync.SyncService;
import io.vertx.core.Future;

/**
 * What a pull that misses locally does: fail with the miss, or (a connected registry with
 * {@code sync.onDemand}, repository in scope) fetch from the parent and let the handler look
 * again. Parent trouble becomes a clear 503; "the parent does not have it either" stays the miss.
 */
final class PullThrough {
  private final SyncService sync;

  /** @param sync null for a root registry */
  PullThrough(SyncService sync) {
    this.sync = sync;
  }

  /** Completes when the handler should look again; fails with {@code miss} when there is nothing to fetch. */
  Future<Void> manifest(String repository, Reference reference, RuntimeException miss) {
    if (sync == null || !sync.pullsThrough(repository)) {
      return Future.failedFuture(miss);
    }
    return translate(sync.fetchManifest(repository, reference), miss, repository + ":" + reference);
  }

  Future<Void> blob(String repository, Digest digest, RuntimeException miss) {
    if (sync == null || !sync.pullsThrough(repository)) {
      return Future.failedFuture(miss);
    }
    return translate(sync.fetchBlob(repository, digest), miss, repository + "@" + digest);
  }

  private static Future<Void> translate(Future<Void> fetch, RuntimeException miss, String what) {
    return fetch.recover(e -> {
      if (e instanceof ParentStatusException status && status.status() == 404) {
        return Future.failedFuture(miss);
      }
      if (e instanceof ParentUnavailableException) {
        return Future.failedFuture(ErrorCode.UNAVAILABLE.exception(
            what + " is not here yet and the parent is unreachable; try again when it is back"));
      }
      return Future.failedFuture(ErrorCode.UNAVAILABLE.exception(
          what + " is not here yet and fetching it from the parent failed: " + e.getMessage()));
    });
  }
}
