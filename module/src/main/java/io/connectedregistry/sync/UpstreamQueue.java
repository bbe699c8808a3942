package io.connectedregistry.sync;

import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.storage.Change;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.storage.StoredManifest;
import io.github.resilience4j.core.IntervalFunction;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream queue of a ReadWrite connected registry: what clients push here goes up to the
 * parent. It reads the local change log after its own durable cursor ({@link UpstreamState}) and
 * sends the client changes one at a time, in order; changes made by sync (content that came down)
 * are passed over, never sent back.
 *
 * <p>Only repositories in {@code sync.repositories} go up: another repository is this registry's
 * own (its changes are passed over, like sync's).
 *
 * <p>Per change: a manifest goes up blobs first (HEAD at the parent, skipped when it has them,
 * mounted from another repository of the parent this queue knows holds them, else uploaded
 * streamed from the local file), then child manifests (the platforms of an index), then the
 * manifest by digest; a {@code tag_set} then puts the tag, after the conflict rule below. Tag and
 * manifest deletes are sent as DELETE. The cursor moves past a change only once the parent
 * confirmed it, and is written durably before the next change is sent: after a crash the change
 * being sent is sent again, which is harmless (content-addressed, HEAD first).
 *
 * <p><b>Conflicts.</b> A tag the parent points somewhere else than the digest being pushed, than
 * the digest this queue last gave it, and than the digest downstream sync last brought down from
 * it, was moved at the parent by someone else: a conflict. The manifest always goes up by digest
 * (nothing is lost). The newer change wins the tag on both sides: the parent's time of its newest
 * {@code tag_set} of that tag (its change feed) against the local change's time. Parent newer:
 * the parent keeps its tag and the local tag is set to the parent's digest (as sync would);
 * otherwise (local newer, equal, or the parent has no change feed to tell) the local value is put.
 * Either way the conflict is logged and put in statusDetails ({@code UpstreamConflict}) with both
 * digests and which one won.
 *
 * <p><b>Failures.</b> A parent that is unreachable or answers 5xx, 429 or 401 stops the queue at
 * that change, retried with exponential backoff (1 s doubling to 30 s, with jitter); the parent
 * client's circuit breaker makes the tries cheap. A change the parent refuses for good (403 and
 * other 4xx), or whose local content is gone, is recorded (log, statusDetails {@code
 * UpstreamRefused}, the state file's {@code refused} list) and passed. A change still not
 * delivered after {@code sync.messageTtl} is never dropped: it stays first in the queue and is
 * retried; it is counted in {@code upstreamQueue.expired} and reported ({@code UpstreamExpired}).
 *
 * <p>Runs on the sync context; storage calls on the storage workers.
 */
final class UpstreamQueue {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamQueue.class);
  /** Changes read from the log at once. */
  private static final int PAGE = 100;
  /** How often an idle queue looks for new changes. */
  static final Duration POLL = Duration.ofSeconds(1);
  private static final IntervalFunction BACKOFF =
      IntervalFunction.ofExponentialRandomBackoff(Duration.ofSeconds(1), 2.0, 0.2, Duration.ofSeconds(30));
  /** Blobs known to be in a repository of the parent, for cross-repository mounts. */
  private static final int KNOWN_BLOBS = 10_000;

  private final Vertx vertx;
  private final Context context;
  private final ParentCaller caller;
  private final RegistryStorage storage;
  private final WorkerExecutor worker;
  private final UpstreamState state;
  private final SyncState syncState;
  private final ImageCopier copier;
  private final StatusBoard board;
  private final BandwidthLimiter bandwidth;
  private final Duration messageTtl;
  private final Clock clock;
  /** sync.repositories: a repository outside it is this registry's own, and stays here. */
  private final List<RepositoryPattern> scope;
  private final Map<Digest, String> knownAt = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Digest, String> eldest) {
      return size() > KNOWN_BLOBS;
    }
  };

  private boolean stopped;
  private boolean busy;
  private long timer = -1;
  private int failures;
  /** The change that keeps failing, and why; null while the queue flows. */
  private Change failing;
  private Throwable failure;
  private Promise<Void> idle;

  UpstreamQueue(Vertx vertx, Context context, ParentCaller caller, RegistryStorage storage, WorkerExecutor worker,
      UpstreamState state, SyncState syncState, ImageCopier copier, StatusBoard board, BandwidthLimiter bandwidth,
      Duration messageTtl, Clock clock, List<RepositoryPattern> scope) {
    this.scope = List.copyOf(scope);
    this.vertx = vertx;
    this.context = context;
    this.caller = caller;
    this.storage = storage;
    this.worker = worker;
    this.state = state;
    this.syncState = syncState;
    this.copier = copier;
    this.board = board;
    this.bandwidth = bandwidth;
    this.messageTtl = messageTtl;
    this.clock = clock;
  }

  /** Begins sending, at once. */
  void start() {
    context.runOnContext(v -> {
      LOG.info("upstream queue: pushing client changes after {} of the change log to {}", state.cursor(),
          caller.endpoint());
      drain();
    });
  }

  /** Tries now, whatever the backoff says (a manual sync trigger). */
  void kick() {
    context.runOnContext(v -> {
      if (!stopped && !busy) {
        vertx.cancelTimer(timer);
        drain();
      }
    });
  }

  /** Stops after the change being sent; completes once nothing is being sent. */
  Future<Void> stop() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      stopped = true;
      vertx.cancelTimer(timer);
      if (busy) {
        idle = done;
      } else {
        done.complete();
      }
    });
    return done.future();
  }

  /**
   * Whether downstream sync must leave {@code repository:tag} alone: its newest local change was
   * made by a client and is still in this queue, or is newer than the parent's change
   * {@code parentTime} (null: unknown) that sync would apply. The queue decides it (conflict rule).
   */
  Future<Boolean> holds(String repository, String tag, Instant parentTime) {
    return blocking(() -> storage.latestTagChange(repository, tag)).map(latest -> latest.isPresent()
        && latest.get().byClient()
        && (latest.get().sequence() > state.cursor()
            || parentTime != null && latest.get().timestampMillis() > parentTime.toEpochMilli()));
  }

  // ---- the loop ----

  private void drain() {
    if (stopped || busy) {
      return;
    }
    busy = true;
    blocking(() -> storage.changesAfter(state.cursor(), PAGE)).compose(this::sendPage).onComplete(result -> {
      busy = false;
      if (idle != null) {
        idle.complete();
        idle = null;
      }
      if (result.succeeded()) {
        if (failing != null) {
          LOG.info("upstream queue: the parent took change {} ({}); going on", failing.sequence(), describe(failing));
        }
        failures = 0;
        failing = null;
        failure = null;
      } else {
        failures++;
      }
      publish();
      if (stopped) {
        return;
      }
      long delay = result.failed() ? BACKOFF.apply(failures) : result.result() ? 0 : POLL.toMillis();
      timer = vertx.setTimer(Math.max(1, delay), id -> drain());
    });
  }

  /** Sends a page of changes in order; true when the page was full (more may follow at once). */
  private Future<Boolean> sendPage(List<Change> page) {
    if (page.stream().anyMatch(c -> c.byClient() && inScope(c.repository()))) {
      publish(); // the status counts what is about to be sent, while it is sent
    }
    Future<Void> chain = Future.succeededFuture();
    for (Change change : page) {
      chain = chain.compose(v -> {
        if (stopped) {
          return Future.succeededFuture();
        }
        if (!change.byClient() || !inScope(change.repository())) {
          // Came down by sync, older than origins, or a repository that is only this registry's.
          state.cursor(change.sequence());
          return Future.succeededFuture();
        }
        return send(change)
            .recover(e -> {
              if (!refused(e)) {
                failed(change, e);
                return Future.failedFuture(e);
              }
              refuse(change, e);
              return Future.succeededFuture();
            })
            .compose(v2 -> {
              state.cursor(change.sequence());
              return save();
            });
      });
    }
    return chain.compose(v -> save()).map(v -> page.size() == PAGE && !stopped);
  }

  private Future<Void> send(Change change) {
    String repository = change.repository();
    try {
      return switch (change.action()) {
        case "manifest_put" -> pushManifest(repository, Digest.parse(change.digest()), Set.of()).mapEmpty();
        case "tag_set" -> pushManifest(repository, Digest.parse(change.digest()), Set.of())
            .compose(present -> present ? setTag(change) : Future.succeededFuture());
        case "tag_deleted" -> deleteTag(change);
        case "manifest_deleted" -> new DeleteManifest(caller).delete(repository, change.digest()).mapEmpty();
        default -> Future.succeededFuture(); // an action this version does not know: nothing to send
      };
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  // ---- manifests and blobs ----

  /**
   * Makes the parent's {@code repository} hold {@code digest} with everything it references.
   * False when the manifest is no longer here (deleted since: a later change says so).
   */
  private Future<Boolean> pushManifest(String repository, Digest digest, Set<Digest> path) {
    if (path.contains(digest)) {
      return Future.failedFuture(new Unsendable("manifest " + digest + " of " + repository + " contains itself"));
    }
    return local(repository, digest).compose(local -> {
      if (local.isEmpty()) {
        return Future.succeededFuture(false);
      }
      return new HeadManifest(caller).head(repository, new Reference(null, digest)).compose(atParent -> {
        if (atParent.isPresent()) {
          return Future.succeededFuture(true); // the parent took it whole before: children and blobs too
        }
        StoredManifest stored = local.get();
        Manifest manifest = ManifestParser.parse(stored.bytes(), stored.mediaType(), digest.algorithm());
        Set<Digest> below = new HashSet<>(path);
        below.add(digest);
        Future<Void> chain = Future.succeededFuture();
        for (Descriptor child : manifest.manifests()) {
          chain = chain.compose(v -> pushManifest(repository, child.digest(), below).mapEmpty());
        }
        for (Descriptor blob : manifest.blobs()) {
          chain = chain.compose(v -> pushBlob(repository, blob.digest()));
        }
        return chain
            .compose(v -> new PutManifest(caller).put(repository, digest.toString(), stored.mediaType(), stored.bytes()))
            .map(v -> {
              LOG.info("upstream: pushed {}@{}", repository, digest);
              return true;
            });
      });
    });
  }

  private Future<Void> pushBlob(String repository, Digest digest) {
    return new HeadBlob(caller).check(repository, digest).compose(atParent -> {
      if (atParent.exists()) {
        knownAt.put(digest, repository);
        return Future.succeededFuture();
      }
      String from = knownAt.get(digest);
      Future<UploadLocation> upload = from != null && !from.equals(repository)
          ? new MountBlob(caller).mount(repository, from, digest).map(MountBlob.Result::upload)
          : new StartUpload(caller).start(repository);
      return upload.compose(location -> location == null ? Future.succeededFuture()
          : upload(repository, digest, location)).onSuccess(v -> knownAt.put(digest, repository));
    });
  }

  /** Streams the local blob into an upload at the parent: one PATCH, then the PUT that commits it. */
  private Future<Void> upload(String repository, Digest digest, UploadLocation location) {
    return blocking(() -> storage.blobSize(repository, digest).orElseThrow(() ->
        new Unsendable(repository + " no longer holds blob " + digest))).compose(size -> {
          List<BlobBody> opened = new ArrayList<>();
          // Opened anew for each send (a 401 answered makes the caller send again).
          ParentRequest.BodySource source = () -> blocking(() -> storage.openBlob(repository, digest))
              .map(blob -> {
                BlobBody body = new BlobBody(vertx, worker, blob.channel(), blob.size(), bandwidth);
                opened.add(body);
                return body;
              });
          Future<UploadLocation> sent = size == 0 ? Future.succeededFuture(location)
              : new PatchUpload(caller).patch(repository, location, source, size);
          return sent.compose(at -> new PutUpload(caller).complete(repository, at, digest, Buffer.buffer()))
              .compose(stored -> stored.equals(digest) ? Future.<Void>succeededFuture()
                  : Future.failedFuture(new DigestMismatchException("blob pushed to the parent", digest, stored, size)))
              .onComplete(done -> opened.forEach(BlobBody::close));
        });
  }

  // ---- tags ----

  private Future<Void> setTag(Change change) {
    String repository = change.repository();
    String tag = change.tag();
    Digest digest = Digest.parse(change.digest());
    return new HeadManifest(caller).head(repository, Reference.parse(tag)).compose(info -> {
      Digest atParent = info.map(ManifestInfo::digest).orElse(null);
      if (digest.equals(atParent)) {
        state.pushed(repository, tag, digest.toString());
        return Future.succeededFuture();
      }
      return localWins(change, atParent).compose(local -> {
        if (!local) {
          return keepParentsTag(change, atParent);
        }
        return local(repository, digest).compose(stored -> {
          if (stored.isEmpty()) {
            return Future.succeededFuture(); // deleted here since: a later change says so
          }
          return new PutManifest(caller).put(repository, tag, stored.get().mediaType(), stored.get().bytes())
              .map(v -> {
                state.pushed(repository, tag, digest.toString());
                LOG.info("upstream: pushed {}:{} ({})", repository, tag, digest);
                return (Void) null;
              });
        });
      });
    });
  }

  private Future<Void> deleteTag(Change change) {
    String repository = change.repository();
    String tag = change.tag();
    return new HeadManifest(caller).head(repository, Reference.parse(tag)).compose(info -> {
      if (info.isEmpty()) {
        state.pushed(repository, tag, null);
        return Future.succeededFuture();
      }
      Digest atParent = info.get().digest();
      Future<Boolean> decided = atParent != null && atParent.toString().equals(change.digest())
          ? Future.succeededFuture(true) : localWins(change, atParent);
      return decided.compose(local -> {
        if (!local) {
          return keepParentsTag(change, atParent);
        }
        return new DeleteManifest(caller).delete(repository, tag).map(v -> {
          state.pushed(repository, tag, null);
          LOG.info("upstream: deleted {}:{}", repository, tag);
          return (Void) null;
        });
      });
    });
  }

  /**
   * The conflict rule (see the class comment) for a tag the parent points at {@code atParent}
   * (null: no such tag there, or it did not say): true when the local change goes up.
   */
  private Future<Boolean> localWins(Change change, Digest atParent) {
    String repository = change.repository();
    String tag = change.tag();
    String theirs = atParent == null ? null : atParent.toString();
    if (theirs == null || theirs.equals(state.pushedDigest(repository, tag))
        || theirs.equals(syncState.syncedDigest(repository, tag))) {
      return Future.succeededFuture(true); // the parent's tag is what we knew: no conflict
    }
    Instant local = Instant.ofEpochMilli(change.timestampMillis());
    return new LatestTagChange(caller).get(repository, tag).map(answer -> {
      Instant parentTime = answer.change()
          .filter(c -> "tag_set".equals(c.action()) && atParent.equals(c.digest()))
          .map(ListChanges.Change::timestamp).orElse(null);
      boolean parentNewer = parentTime != null && parentTime.isAfter(local);
      String ours = change.action().equals("tag_deleted") ? "deleted (was " + change.digest() + ")" : change.digest();
      String description = "tag " + repository + ":" + tag + " moved on both sides: here " + ours + " at " + local
          + ", at the parent " + theirs + (parentTime == null ? " (the parent gives no change time)"
              : " at " + parentTime) + "; kept the " + (parentNewer ? "parent's" : "local") + " value on both sides"
          + (parentNewer && !change.action().equals("tag_deleted")
              ? " (" + change.digest() + " stays at the parent by digest)" : "");
      report("UpstreamConflict", description);
      return !parentNewer;
    });
  }

  /**
   * The parent's newer tag stays; here, the tag takes the parent's value too, unless a client
   * changed it again since (that later change goes up in its turn).
   */
  private Future<Void> keepParentsTag(Change change, Digest atParent) {
    String repository = change.repository();
    String tag = change.tag();
    return blocking(() -> storage.latestTagChange(repository, tag)).compose(latest -> {
      if (latest.isPresent() && latest.get().sequence() != change.sequence()) {
        return Future.succeededFuture();
      }
      return copier.copy(repository, atParent, tag).onSuccess(v -> syncState.tagSynced(repository, tag,
          atParent.toString()));
    });
  }

  // ---- failures and status ----

  /** Permanent answers: the same change would be refused again. */
  private static boolean refused(Throwable e) {
    if (e instanceof ParentStatusException s) {
      if ("MANIFEST_BLOB_UNKNOWN".equals(s.errorCode()) || "BLOB_UPLOAD_UNKNOWN".equals(s.errorCode())) {
        return false; // content that went away at the parent meanwhile: the whole change is sent again
      }
      return !s.transientStatus() && s.status() != 401 && s.status() != 408;
    }
    if (e instanceof RegistryException r) {
      // Local content gone or unreadable; anything else (a full disk here) may pass.
      return r.code() == ErrorCode.BLOB_UNKNOWN || r.code() == ErrorCode.MANIFEST_UNKNOWN
          || r.code() == ErrorCode.MANIFEST_INVALID;
    }
    return e instanceof Unsendable || e instanceof IllegalArgumentException;
  }

  private void refuse(Change change, Throwable e) {
    String description = "change " + change.sequence() + " (" + describe(change) + ") not sent: " + e.getMessage();
    state.refused(Instant.now(clock) + " " + description);
    report("UpstreamRefused", description);
  }

  private void failed(Change change, Throwable e) {
    if (failing == null || failing.sequence() != change.sequence()) {
      LOG.warn("upstream queue: change {} ({}) not sent, retrying with backoff: {}", change.sequence(),
          describe(change), e.toString());
    }
    failing = change;
    failure = e;
  }

  /** Puts the queue's figures on the board, and the statusDetails of an expired change. */
  private void publish() {
    Instant now = clock.instant();
    long expiredBefore = now.minus(messageTtl).toEpochMilli();
    Change head = failing;
    Throwable why = failure;
    blocking(() -> storage.clientChangesAfter(state.cursor(), expiredBefore)).onSuccess(backlog -> {
      RegistryStatus.UpstreamQueue figures = new RegistryStatus.UpstreamQueue(backlog.changes(), backlog.madeBefore());
      boolean expired = head != null && head.timestampMillis() < expiredBefore;
      board.update(s -> {
        RegistryStatus next = s.withUpstreamQueue(figures);
        boolean showing = s.statusDetails() != null && "UpstreamExpired".equals(s.statusDetails().code());
        if (expired && !showing) {
          next = next.withStatusDetails(expiredDetails(head, why, now));
        } else if (!expired && showing) {
          next = next.withStatusDetails(null);
        }
        return next;
      });
    }).onFailure(e -> LOG.warn("upstream queue: cannot count the queue: {}", e.toString()));
  }

  private RegistryStatus.StatusDetails expiredDetails(Change head, Throwable why, Instant now) {
    String correlationId = UUID.randomUUID().toString();
    String description = "change " + head.sequence() + " (" + describe(head) + ", made "
        + Instant.ofEpochMilli(head.timestampMillis()) + ") is still not at the parent after sync.messageTtl "
        + messageTtl + "; it stays queued and is retried; last error: " + (why == null ? "?" : why.getMessage());
    LOG.error("upstream queue: {} [correlationId={}]", description, correlationId);
    return new RegistryStatus.StatusDetails("Upstream", "UpstreamExpired", description, now.toString(), correlationId);
  }

  private void report(String code, String description) {
    String correlationId = UUID.randomUUID().toString();
    LOG.warn("upstream queue: {} [correlationId={}]", description, correlationId);
    RegistryStatus.StatusDetails details = new RegistryStatus.StatusDetails("Upstream", code, description,
        clock.instant().toString(), correlationId);
    board.update(s -> s.withStatusDetails(details));
  }

  private boolean inScope(String repository) {
    return scope.stream().anyMatch(pattern -> pattern.matches(repository));
  }

  private static String describe(Change change) {
    return change.action() + " " + change.repository()
        + (change.tag() != null ? ":" + change.tag() : "") + "@" + change.digest();
  }

  // ---- helpers ----

  private Future<Optional<StoredManifest>> local(String repository, Digest digest) {
    return blocking(() -> storage.manifest(repository, new Reference(null, digest)));
  }

  private Future<Void> save() {
    UpstreamState.Snapshot snapshot = state.snapshot();
    return blocking(() -> {
      state.write(snapshot);
      return null;
    });
  }

  private <T> Future<T> blocking(Callable<T> task) {
    return worker.executeBlocking(task, false);
  }

  /** A change that cannot be sent whatever the parent says (its local content is gone, or loops). */
  static final class Unsendable extends RuntimeException {
    Unsendable(String message) {
      super(message);
    }
  }
}
