package io.connectedregistry.sync;

import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.RegistryStorage;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * On-demand pull-through ({@code sync.onDemand}): a pull of an in-scope image that is not here yet
 * gets the parent's manifest at once while the whole image is copied in the background (stored
 * like sync stores it: whole, byte-exact); the blobs the client then asks for are streamed to it
 * as they arrive, from the upload being written. Concurrent pulls share one download. With the
 * parent known to be down (circuit open) a miss fails at once: no pull waits on a dead parent.
 */
final class OnDemandFetcher {
  private final Context context;
  private final ParentCaller caller;
  private final RegistryStorage storage;
  private final WorkerExecutor worker;
  private final List<RepositoryPattern> scope;
  private final SyncState state;
  private final ImageCopier copier;
  private final BlobFetcher blobs;
  private final HeadBlob headBlob;
  private final Map<String, Future<Void>> inFlight = new ConcurrentHashMap<>();
  private final SyncTotals totals;

  OnDemandFetcher(Context context, ParentCaller caller, RegistryStorage storage,
      WorkerExecutor worker, List<RepositoryPattern> scope, SyncState state, BlobFetcher blobs,
      SyncTotals totals) {
    this.totals = totals;
    this.context = context;
    this.caller = caller;
    this.storage = storage;
    this.worker = worker;
    this.scope = List.copyOf(scope);
    this.state = state;
    this.blobs = blobs;
    this.headBlob = new HeadBlob(caller);
    this.copier = new ImageCopier(caller, blobs, storage, worker, new ImageCopier.Counts());
  }

  boolean covers(String repository) {
    return scope.stream().anyMatch(p -> p.matches(repository));
  }

  /**
   * The manifest from the parent, to serve at once, while its whole image is copied here in the
   * background (blobs the client asks for next follow those downloads as they arrive). Fails with
   * a 404 {@link ParentStatusException} when the parent does not have it either.
   */
  Future<ParentManifest> manifest(String repository, Reference reference) {
    return guard("manifest " + repository + "@" + reference).compose(v ->
        onContext(() -> new GetManifest(caller).get(repository, reference))).map(found -> {
          ParentManifest manifest = found.orElseThrow(() -> notAtParent(repository, reference.toString()));
          String tag = reference.isDigest() ? null : reference.tag();
          once("copy " + repository + "@" + manifest.digest() + ":" + tag,
              () -> copier.copy(repository, manifest.digest(), tag).onSuccess(x -> {
                if (tag != null) {
                  state.tagSynced(repository, tag, manifest.digest().toString());
                }
              }));
          return manifest;
        });
  }

  /**
   * A blob of {@code repository}: empty once it is stored here (serve it from storage), or the
   * download in progress to follow as it is written. Fails with a 404 {@link ParentStatusException}
   * when the parent's {@code repository} does not hold it.
   *
   * <p>A read must never reach content of another repository. So a blob is served only if this
   * repository holds it here, or is being downloaded for this repository (from the parent's
   * repository of that name), or the parent confirms that its repository holds it; only then may
   * a copy stored here for another repository be linked, or a download started for another
   * repository be joined. A blob held here only elsewhere thus answers exactly as one that exists
   * nowhere, and a refused read writes nothing.
   */
  Future<Optional<FollowedBlob>> blob(String repository, Digest digest) {
    Optional<BlobFetcher.Transfer> own = blobs.transfer(digest).filter(t -> t.repository().equals(repository));
    if (own.isPresent()) {
      return Future.succeededFuture(own.map(t -> new FollowedBlob(t, t.done().mapEmpty())));
    }
    return guard("blob " + repository + "@" + digest)
        .compose(v -> worker.executeBlocking(() -> storage.blobSize(repository, digest).isPresent(), false))
        .compose(here -> here ? Future.succeededFuture(Optional.empty()) : confirmedByParent(repository, digest));
  }

  /** Asks the parent's {@code repository} first: content here is reached only on its yes. */
  private Future<Optional<FollowedBlob>> confirmedByParent(String repository, Digest digest) {
    return onContext(() -> headBlob.check(repository, digest)).compose(atParent -> {
      if (!atParent.exists()) {
        return Future.failedFuture(notAtParent(repository, digest));
      }
      Future<Void> fetched = once("blob " + repository + "@" + digest,
          () -> bring(repository, digest, atParent.size()));
      return awaitTransfer(digest, fetched);
    });
  }

  /**
   * Links a copy stored here for another repository, or downloads the blob (joining a download
   * already running for another repository, then linking it). The download stops at the size the
   * parent's HEAD gave, so a parent cannot stream without end into the disk.
   */
  private Future<Void> bring(String repository, Digest digest, long size) {
    return worker.executeBlocking(() -> storage.blobSize(repository, digest).isPresent()
            || storage.linkExistingBlob(repository, digest), false)
        .compose(present -> present ? Future.succeededFuture()
            : blobs.fetch(repository, repository, digest, size).mapEmpty());
  }

  /** The transfer once it is registered, or empty when the fetch finished without one (or first). */
  private Future<Optional<FollowedBlob>> awaitTransfer(Digest digest, Future<Void> fetched) {
    Promise<Optional<FollowedBlob>> promise = Promise.promise();
    poll(digest, fetched, promise);
    return promise.future();
  }

  private void poll(Digest digest, Future<Void> fetched, Promise<Optional<FollowedBlob>> promise) {
    Optional<BlobFetcher.Transfer> transfer = blobs.transfer(digest);
    if (transfer.isPresent()) {
      promise.complete(transfer.map(t -> new FollowedBlob(t, fetched)));
    } else if (fetched.isComplete()) {
      if (fetched.succeeded()) {
        promise.complete(Optional.empty());
      } else {
        promise.fail(fetched.cause());
      }
    } else {
      // The upload opens on a worker before the transfer is registered: a few milliseconds.
      context.owner().setTimer(5, id -> poll(digest, fetched, promise));
    }
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> work) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> work.get().onComplete(promise));
    return promise.future();
  }

  /** Fails at once while the parent is known to be down. */
  private Future<Void> guard(String what) {
    if (caller.circuitState() == CircuitBreaker.State.OPEN) {
      return Future.failedFuture(new ParentUnavailableException("parent "
          + caller.endpoint().baseUrl() + " is unreachable; " + what + " is not here yet", null));
    }
    return Future.succeededFuture();
  }

  private interface Fetch {
    Future<Void> start();
  }

  /** Runs {@code fetch} on the sync context, once for concurrent requests of the same key. */
  private Future<Void> once(String key, Fetch fetch) {
    Future<Void> guarded = guard(key);
    if (guarded.failed()) {
      return guarded;
    }
    Promise<Void> promise = Promise.promise();
    Future<Void> running = inFlight.putIfAbsent(key, promise.future());
    if (running != null) {
      return running;
    }
    totals.onDemandFetch();
    context.runOnContext(v -> {
      Future<Void> started;
      try {
        started = fetch.start();
      } catch (RuntimeException e) {
        started = Future.failedFuture(e);
      }
      started.onComplete(done -> {
        inFlight.remove(key, promise.future());
        promise.handle(done);
      });
    });
    return promise.future();
  }

  private static ParentStatusException notAtParent(String repository, String reference) {
    return new ParentStatusException("GET", "/v2/" + repository + "/manifests/" + reference, 404,
        "MANIFEST_UNKNOWN", "not at the parent either");
  }

  private static ParentStatusException notAtParent(String repository, Digest digest) {
    return new ParentStatusException("HEAD", "/v2/" + repository + "/blobs/" + digest, 404,
        "BLOB_UNKNOWN", "not at the parent either");
  }
}
