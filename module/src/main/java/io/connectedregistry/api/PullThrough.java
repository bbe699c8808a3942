package io.connectedregistry.api;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.sync.FollowedBlob;
import io.connectedregistry.sync.ParentManifest;
import io.connectedregistry.sync.ParentStatusException;
import io.connectedregistry.sync.ParentUnavailableException;
import io.connectedregistry.sync.SyncService;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * What a pull that misses locally does: fail with the miss, or (a connected registry with
 * {@code sync.onDemand}, repository in scope) get it from the parent. Parent trouble becomes a
 * clear 503; "the parent does not have it either" stays the miss.
 */
final class PullThrough {
  private final SyncService sync;

  /** @param sync null for a root registry */
  PullThrough(SyncService sync) {
    this.sync = sync;
  }

  /** The parent's manifest to serve now (its image follows in the background), or fails with {@code miss}. */
  Future<ParentManifest> manifest(String repository, Reference reference, RuntimeException miss) {
    if (sync == null || !sync.pullsThrough(repository)) {
      return Future.failedFuture(miss);
    }
    return translate(sync.fetchManifest(repository, reference), miss, repository + ":" + reference);
  }

  /** Empty when the blob is now stored here; else the download to follow; or fails with {@code miss}. */
  Future<Optional<FollowedBlob>> blob(String repository, Digest digest, RuntimeException miss) {
    if (sync == null || !sync.pullsThrough(repository)) {
      return Future.failedFuture(miss);
    }
    return translate(sync.fetchBlob(repository, digest), miss, repository + "@" + digest);
  }

  private static <T> Future<T> translate(Future<T> fetch, RuntimeException miss, String what) {
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
