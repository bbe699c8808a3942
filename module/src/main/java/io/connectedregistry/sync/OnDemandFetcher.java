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
import java.util.concurrent.ConcurrentHashMap;

/**
 * On-demand pull-through ({@code sync.onDemand}): a pull of an in-scope image or blob that is not
 * here yet fetches it from the parent, stores it like sync does (whole, byte-exact), and then the
 * pull is served from local disk. Concurrent pulls of the same content share one fetch. With the
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
  private final Map<String, Future<Void>> inFlight = new ConcurrentHashMap<>();

  OnDemandFetcher(Context context, ParentCaller caller, RegistryStorage storage,
      WorkerExecutor worker, List<RepositoryPattern> scope, SyncState state, BlobFetcher blobs) {
    this.context = context;
    this.caller = caller;
    this.storage = storage;
    this.worker = worker;
    this.scope = List.copyOf(scope);
    this.state = state;
    this.blobs = blobs;
    this.copier = new ImageCopier(caller, blobs, storage, worker, new ImageCopier.Counts());
  }

  boolean covers(String repository) {
    return scope.stream().anyMatch(p -> p.matches(repository));
  }

  /** Fetches a manifest (and its image) into {@code repository}; fails if the parent lacks it. */
  Future<Void> manifest(String repository, Reference reference) {
    return once("manifest " + repository + "@" + reference, () -> {
      if (reference.isDigest()) {
        return copier.copy(repository, reference.digest(), null);
      }
      return new HeadManifest(caller).head(repository, reference).compose(info -> {
        if (info.isEmpty()) {
          return Future.failedFuture(notAtParent(repository, reference.toString()));
        }
        Future<Digest> digest = info.get().digest() != null
            ? Future.succeededFuture(info.get().digest())
            : new GetManifest(caller).get(repository, reference).map(m -> m
                .orElseThrow(() -> notAtParent(repository, reference.toString())).digest());
        return digest.compose(d -> copier.copy(repository, d, reference.tag())
            .onSuccess(v -> state.tagSynced(repository, reference.tag(), d.toString())));
      });
    });
  }

  /** Fetches one blob of {@code repository}. */
  Future<Void> blob(String repository, Digest digest) {
    return once("blob " + digest, () -> worker.executeBlocking(
        () -> storage.linkExistingBlob(repository, digest), false).compose(linked -> linked
            ? Future.succeededFuture() : blobs.fetch(repository, digest).mapEmpty()));
  }

  private interface Fetch {
    Future<Void> start();
  }

  /** Runs {@code fetch} on the sync context, once for concurrent requests of the same key. */
  private Future<Void> once(String key, Fetch fetch) {
    if (caller.circuitState() == CircuitBreaker.State.OPEN) {
      return Future.failedFuture(new ParentUnavailableException("parent "
          + caller.endpoint().baseUrl() + " is unreachable; " + key + " is not here yet", null));
    }
    Promise<Void> promise = Promise.promise();
    Future<Void> running = inFlight.putIfAbsent(key, promise.future());
    if (running != null) {
      return running;
    }
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
}
