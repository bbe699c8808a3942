package io.connectedregistry.sync;

import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.storage.Change;
import io.connectedregistry.storage.RegistryStorage;
import io.github.resilience4j.core.IntervalFunction;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
 * <p>Per change ({@link UpstreamSender}): a manifest goes up blobs first (HEAD at the parent,
 * skipped when it has them, mounted from another repository of the parent this queue knows holds
 * them, else uploaded streamed from the local file), then child manifests (the platforms of an index), then the
 * manifest by digest; a {@code tag_set} then puts the tag, after the conflict rule below. Tag and
 * manifest deletes are sent as DELETE. The cursor moves past a change only once the parent
 * confirmed it, and is written durably before the next change is sent: after a crash the change
 * being sent is sent again, which is harmless (content-addressed, HEAD first). An upload that
 * broke off is resumed from the parent's offset by the next try (in this process; after a restart
 * it starts over). Blob bytes count against {@code sync.bandwidth}, like downloads.
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
  private final Vertx vertx;
  private final Context context;
  private final ParentCaller caller;
  private final RegistryStorage storage;
  private final WorkerExecutor worker;
  private final UpstreamState state;
  private final StatusBoard board;
  private final UpstreamSender sender;
  private final Duration messageTtl;
  private final Clock clock;
  /** sync.repositories: a repository outside it is this registry's own, and stays here. */
  private final List<RepositoryPattern> scope;
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
    this.board = board;
    this.sender = new UpstreamSender(vertx, caller, storage, worker, state, syncState, copier, bandwidth, this::report);
    this.messageTtl = messageTtl;
    this.clock = clock;
  }

  /** Begins sending, at once; again after {@link #stop()} (sync held, then released). */
  void start() {
    context.runOnContext(v -> {
      stopped = false;
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
        return sender.send(change)
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
    // Passed-over changes moved the cursor too; an idle poll writes nothing (flash storage wears).
    return chain.compose(v -> state.unsaved() ? save() : Future.<Void>succeededFuture())
        .map(v -> page.size() == PAGE && !stopped);
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
    return e instanceof UpstreamSender.Unsendable || e instanceof IllegalArgumentException;
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
      RegistryStatus.StatusDetails expired = head != null && head.timestampMillis() < expiredBefore
          ? expiredDetails(head, why, now) : null;
      RegistryStatus after = board.update(s -> {
        RegistryStatus next = s.withUpstreamQueue(figures);
        boolean showing = s.statusDetails() != null && "UpstreamExpired".equals(s.statusDetails().code());
        if (expired != null && !showing) {
          next = next.withStatusDetails(expired);
        } else if (expired == null && showing) {
          next = next.withStatusDetails(null);
        }
        return next;
      });
      if (expired != null && after.statusDetails() == expired) { // newly shown: said once in the log too
        LOG.error("upstream queue: {} [correlationId={}]", expired.description(), expired.correlationId());
      }
    }).onFailure(e -> LOG.warn("upstream queue: cannot count the queue: {}", e.toString()));
  }

  private RegistryStatus.StatusDetails expiredDetails(Change head, Throwable why, Instant now) {
    String description = "change " + head.sequence() + " (" + describe(head) + ", made "
        + Instant.ofEpochMilli(head.timestampMillis()) + ") is still not at the parent after sync.messageTtl "
        + messageTtl + "; it stays queued and is retried; last error: " + (why == null ? "?" : why.getMessage());
    return new RegistryStatus.StatusDetails("Upstream", "UpstreamExpired", description, now.toString(),
        UUID.randomUUID().toString());
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
    return UpstreamSender.describe(change);
  }

  // ---- helpers ----

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

}
