package io.connectedregistry.sync;

import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.cli.ManifestVersion;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.config.RegistryConfig.ParentConfig;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.status.ConnectionState;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.status.SyncTrigger;
import io.connectedregistry.storage.DiskSpace;
import io.connectedregistry.storage.RegistryStorage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync package's entry point: runs {@link DownstreamSync} cycles when {@link SyncSchedule}
 * says so (or when asked: {@link #trigger()}), keeps the sync part of the {@link StatusBoard}
 * (and {@link SyncStatus}, its file), runs the {@link UpstreamQueue} of a ReadWrite registry
 * (what clients push here goes up to the parent), and never lets a slow or
 * absent parent touch the serving path (everything here runs on its own context, and storage
 * calls on the storage workers).
 */
public final class SyncService {
  private static final Logger LOG = LoggerFactory.getLogger(SyncService.class);
  /** The scheduler re-checks at least this often, so a changed clock or a missed timer heals. */
  private static final Duration MAX_SLEEP = Duration.ofMinutes(1);
  /** How often sync looks at the free space between cycles, to pause or resume (see watchSpace). */
  private static final Duration SPACE_RECHECK = Duration.ofSeconds(2);
  /** How long a replaced parent client stays open for the on-demand downloads still using it. */
  private static final Duration OLD_CALLER_GRACE = Duration.ofMinutes(5);

  private final Vertx vertx;
  private final Context context;
  private final Path data;
  private final RegistryStorage storage;
  private final DiskSpace space;
  private final WorkerExecutor worker;
  // The plan: what configuration decides (parent, sync.*, mode). Replaced whole by reconfigure(),
  // on the sync context, between cycles; volatile where other threads read it.
  private volatile ParentCaller caller;
  private SyncSchedule schedule;
  private SyncState state;
  private DownstreamSync sync;
  /** ReadWrite only: pushes client changes up to the parent; null in ReadOnly mode. */
  private UpstreamQueue upstream;
  private final UpstreamState upstreamState;
  private final TransferCounter counter = new TransferCounter();
  private final SyncTotals totals = new SyncTotals(counter);
  private final Clock clock;
  private final SyncStatus status;
  private final StatusBoard board;
  /** Null unless {@code sync.onDemand}. */
  private volatile OnDemandFetcher onDemand;
  /**
   * A configuration waiting for the running cycle to stop at its next safe point; null if none.
   * Volatile: the cycle's stop check reads it wherever the cycle runs.
   */
  private volatile RegistryConfig pending;
  private RegistryConfig.SyncConfig syncConfig;
  private final AtomicBoolean stopping = new AtomicBoolean();
  /**
   * Why sync must not run (the control plane: activation refused, or deactivated at the root);
   * null when it may. Volatile: the cycle's stop check reads it.
   */
  private volatile String held;
  private boolean running;
  /** Imports waiting for the running cycle to stop (sync context only); see {@link #importBundle}. */
  private final java.util.ArrayDeque<Runnable> imports = new java.util.ArrayDeque<>();
  /** Read by the cycle's stop check: an import waits for it. */
  private volatile boolean importWaiting;
  private boolean manualPending;
  /** Set by {@link #start()}: before it, only a manual trigger runs a cycle (an import does not start one). */
  private boolean started;
  private Instant lastCycleStart;
  private long timer = -1;
  private long spaceWatch = -1;

  private SyncService(Vertx vertx, RegistryConfig config, RegistryStorage storage,
      WorkerExecutor worker, Clock clock, StatusBoard board) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.data = config.data();
    this.storage = storage;
    this.space = storage.diskSpace();
    this.worker = worker;
    this.clock = clock;
    ParentEndpoint endpoint = endpoint(config.parent());
    this.status = SyncStatus.load(data);
    status.parent = endpoint.toString();
    status.connectionState = ConnectionState.Offline;
    this.board = board != null ? board : new StatusBoard(
        RegistryStatus.starting(config.mode(), ManifestVersion.get(), true), r -> context.runOnContext(v -> r.run()));
    this.upstreamState = UpstreamState.load(data);
    plan(config, new ParentCaller(vertx, endpoint, ParentPolicy.defaults()),
        SyncState.load(data, endpoint.baseUrl()));
    publish(); // what the file remembers, until the first cycle says more
  }

  /** Builds what the configuration decides around a parent client and its sync state. */
  private void plan(RegistryConfig config, ParentCaller caller, SyncState state) {
    this.syncConfig = config.sync();
    this.caller = caller;
    this.state = state;
    this.schedule = SyncSchedule.of(config.sync(), clock);
    BandwidthLimiter bandwidth = config.sync().bandwidth() > 0
        ? new BandwidthLimiter(config.sync().bandwidth()) : BandwidthLimiter.UNLIMITED;
    List<RepositoryPattern> scope =
        config.sync().repositories().stream().map(RepositoryPattern::of).toList();
    BlobFetcher blobs = new BlobFetcher(caller, storage, worker, counter, bandwidth);
    this.sync = new DownstreamSync(caller, storage, worker, state, scope,
        new TagFilter(config.sync().tags()), blobs, counter, config.mode() == Mode.ReadOnly,
        config.sync().messageTtl(), clock);
    this.onDemand = config.sync().onDemand()
        ? new OnDemandFetcher(context, caller, storage, worker, scope, state, blobs, totals) : null;
    this.upstream = config.mode() == Mode.ReadWrite
        ? new UpstreamQueue(vertx, context, caller, storage, worker, upstreamState, state,
            new ImageCopier(caller, blobs, storage, worker, new ImageCopier.Counts()), board, bandwidth,
            config.sync().messageTtl(), clock, scope)
        : null;
    if (upstream != null) {
      sync.guardedBy(upstream::holds);
    }
  }

  /** Like {@link #create(Vertx, RegistryConfig, RegistryStorage, WorkerExecutor, Clock, StatusBoard)}, with a board of its own. */
  public static SyncService create(Vertx vertx, RegistryConfig config, RegistryStorage storage,
      WorkerExecutor worker, Clock clock) {
    return create(vertx, config, storage, worker, clock, null);
  }

  /**
   * Prepares sync from the parent of {@code config} (which must have one); {@link #start()} begins
   * it. Sync keeps the sync part and the connection state of {@code board} (null: a board of its own).
   */
  public static SyncService create(Vertx vertx, RegistryConfig config, RegistryStorage storage,
      WorkerExecutor worker, Clock clock, StatusBoard board) {
    SyncService service = new SyncService(vertx, config, storage, worker, clock, board);
    if (config.sync().repositories().isEmpty()) {
      LOG.warn("sync.repositories is empty: nothing will be synchronised from {}", service.status.parent);
    }
    LOG.info("syncing {} from {} (schedule '{}'{}{})", config.sync().repositories(),
        service.status.parent, config.sync().schedule(),
        config.sync().window() == null ? "" : ", window " + config.sync().window(),
        config.sync().onDemand() ? ", on-demand pull-through" : "");
    return service;
  }

  /** Begins scheduling: the first cycle runs at once. Call once the registry serves. */
  public void start() {
    context.runOnContext(v -> {
      started = true;
      if (upstream != null && held == null) {
        upstream.start();
      }
      tick(SyncTrigger.Startup);
      spaceWatch = vertx.setPeriodic(SPACE_RECHECK.toMillis(), id -> watchSpace());
    });
  }

  /** The parent client's endpoint for {@code parent} (address, sync token, CA bundle). */
  public static ParentEndpoint endpoint(ParentConfig parent) {
    String url = parent.endpoint().contains("://") ? parent.endpoint()
        : parent.protocol() + "://" + parent.endpoint();
    ParentEndpoint endpoint = ParentEndpoint.of(url).withTokenRealms(parent.tokenRealms());
    if (parent.username() != null) {
      endpoint = endpoint.withCredentials(parent.username(), parent.password());
    }
    return parent.caBundle() == null ? endpoint : endpoint.withCaBundle(parent.caBundle());
  }

  /** Whether a pull of {@code repository} that misses locally may fetch from the parent. */
  public boolean pullsThrough(String repository) {
    return onDemand != null && onDemand.covers(repository);
  }

  /**
   * On-demand pull-through of a manifest: the parent's bytes to serve now, while the image is
   * copied in the background. Fails with {@link ParentUnavailableException} at once when the
   * parent is known to be down, or with a 404 {@link ParentStatusException} when the parent does
   * not have it either.
   */
  public Future<ParentManifest> fetchManifest(String repository, Reference reference) {
    return onDemand.manifest(repository, reference);
  }

  /**
   * On-demand pull-through of one blob: empty when it is now stored here, else the download in
   * progress, to follow as it is written ({@link FollowedBlob}). Fails with a 404
   * {@link ParentStatusException} when the parent's {@code repository} does not hold it, whatever
   * other repositories here hold.
   */
  public Future<java.util.Optional<FollowedBlob>> fetchBlob(String repository, Digest digest) {
    return onDemand.blob(repository, digest);
  }

  /** Starts a cycle now (after the running one, if any), ignoring the schedule and window. */
  public void trigger() {
    context.runOnContext(v -> {
      if (upstream != null && held == null) {
        upstream.kick(); // an operator asking for a sync wants pushes to go up now too
      }
      if (running || pending != null || held != null) { // a new plan waiting: the manual cycle runs with it
        manualPending = true;
      } else if (pausedForSpace()) {
        manualPending = true; // runs once the space is back
      } else {
        vertx.cancelTimer(timer);
        runCycle(SyncTrigger.Manual, null);
      }
    });
  }

  /** The board holding the sync part of the status; safe from any thread. */
  public StatusBoard board() {
    return board;
  }

  /** Sums over the cycles since start, for the metrics; safe from any thread. */
  public SyncTotals totals() {
    return totals;
  }

  /**
   * The status with the sync figures brought up to date (bytes transferred, tag counts, next
   * window), taken on the sync context: after any trigger asked for before it, so a status read
   * after {@code POST /_connected/v1/sync} sees that cycle begun. Safe from any thread.
   */
  public Future<RegistryStatus> freshStatus() {
    Promise<RegistryStatus> promise = Promise.promise();
    context.runOnContext(v -> {
      publish();
      promise.complete(board.current());
    });
    return promise.future();
  }

  /** Brings the figures that change without an event (bytes, cursor, tag counts, next window) up to date. */
  private void refreshFigures() {
    status.bytesTransferred = counter.blobBytes();
    status.cursor = state.cursor() == 0 ? null : state.cursor();
    status.repositories = new java.util.TreeMap<>();
    for (String repository : state.repositories()) {
      status.repositories.put(repository, state.syncedTags(repository).size());
    }
    status.nextSyncWindow = schedule.isOpen(clock.instant()) ? null
        : schedule.nextWindowOpen(clock.instant()).toString();
  }

  /**
   * Puts the sync part on the board (listeners hear only if it changed). The connection state sits
   * beside it; the sync's last error is the registry's statusDetails until a later cycle clears it.
   */
  private void publish() {
    refreshFigures();
    RegistryStatus.Sync part = status.toRecord();
    ConnectionState connection = status.connectionState;
    board.update(s -> {
      // A push still not at the parent after messageTtl outranks a sync error (content at risk).
      boolean pinned = s.statusDetails() != null && "UpstreamExpired".equals(s.statusDetails().code());
      RegistryStatus.StatusDetails details = pinned ? s.statusDetails()
          : part.lastError() != null ? part.lastError()
          : s.statusDetails() != null && "Sync".equals(s.statusDetails().type()) ? null : s.statusDetails();
      return s.withSync(part).withConnectionState(connection).withStatusDetails(details);
    });
  }

  /**
   * Applies an imported bundle while no cycle runs (a running one stops at its next safe point
   * first): {@code commit} (blocking, on a worker) writes the content, given a copy of the tags
   * sync created; then, on the sync context, the sync state takes the bundle's cursor when
   * {@link ImportCursor} allows it, and its tags. The one writer of the sync state stays this
   * service. Fails as {@code commit} fails (the state is then untouched).
   */
  public Future<ImportCursor.Outcome> importBundle(ImportCursor.Bundle bundle,
      java.util.function.Function<java.util.Map<String, java.util.Map<String, String>>, ImportCursor.Applied> commit) {
    Promise<ImportCursor.Outcome> promise = Promise.promise();
    context.runOnContext(v -> {
      Runnable task = () -> runImport(bundle, commit, promise);
      if (running) {
        imports.add(task);
        importWaiting = true;
      } else {
        task.run();
      }
    });
    return promise.future();
  }

  /** On the sync context, with no cycle running. */
  private void runImport(ImportCursor.Bundle bundle,
      java.util.function.Function<java.util.Map<String, java.util.Map<String, String>>, ImportCursor.Applied> commit,
      Promise<ImportCursor.Outcome> promise) {
    importWaiting = !imports.isEmpty();
    running = true;
    vertx.cancelTimer(timer);
    java.util.Map<String, java.util.Map<String, String>> synced = ImportCursor.syncedTags(state);
    worker.executeBlocking(() -> commit.apply(synced), false).onComplete(done -> context.runOnContext(v -> {
      Future<ImportCursor.Outcome> result;
      if (done.failed()) {
        result = Future.failedFuture(done.cause());
      } else {
        ImportCursor.Outcome outcome = ImportCursor.apply(state, bundle, done.result(), syncConfig);
        SyncState.Snapshot snapshot = state.snapshot();
        result = worker.executeBlocking(() -> {
          state.write(snapshot);
          return outcome;
        }, false);
        if (outcome.advanced()) {
          LOG.info("bundle import: sync cursor {} -> {}", outcome.before(), outcome.after());
        } else {
          LOG.info("bundle import: sync cursor stays at {}: {}", outcome.before(), outcome.reason());
        }
      }
      result.onComplete(r -> context.runOnContext(w -> {
        running = false;
        publish();
        if (!imports.isEmpty()) {
          imports.poll().run();
        } else if (pending != null) {
          replan();
        } else if (started || manualPending) {
          tick(SyncTrigger.Schedule);
        }
      })).onComplete(promise);
    }));
  }

  private void tick(SyncTrigger trigger) {
    if (stopping.get() || running || pending != null) {
      return; // a pending plan ticks once it is in place
    }
    if (held != null) {
      return; // release() ticks again
    }
    vertx.cancelTimer(timer);
    if (pausedForSpace()) {
      return; // watchSpace() ticks again once the space is back
    }
    if (manualPending) {
      manualPending = false;
      runCycle(SyncTrigger.Manual, null);
      return;
    }
    SyncSchedule.Decision decision = schedule.next(lastCycleStart);
    if (decision.runNow()) {
      runCycle(lastCycleStart == null ? trigger : SyncTrigger.Schedule, decision.deadline());
      return;
    }
    long wait = Math.max(1, Math.min(MAX_SLEEP.toMillis(),
        Duration.between(clock.instant(), decision.wakeAt()).toMillis()));
    timer = vertx.setTimer(wait, id -> tick(SyncTrigger.Schedule));
    if (status.syncState != SyncPhase.Syncing) {
      persist();
    }
  }

  private void runCycle(SyncTrigger trigger, Instant deadline) {
    running = true;
    lastCycleStart = clock.instant();
    status.syncTrigger = trigger;
    status.syncState = SyncPhase.Syncing;
    if (status.connectionState != ConnectionState.Offline) {
      status.connectionState = ConnectionState.Syncing;
    }
    status.lastSyncStartTime = lastCycleStart.toString();
    persist();
    // Low on space, the cycle stops between images (as at a window's end) and sync pauses.
    // A new configuration also stops it there: the next cycle runs with the new settings.
    sync.run(() -> stopping.get() || space.isLow() || pending != null || held != null || importWaiting
            || (deadline != null && !clock.instant().isBefore(deadline)), this::parentAnswered)
        .onComplete(result -> {
          running = false;
          finished(result.succeeded() ? result.result() : null, result.cause());
          if (!imports.isEmpty()) {
            imports.poll().run();
          } else if (pending != null) {
            replan();
          } else {
            tick(SyncTrigger.Schedule); // a pending manual trigger runs first, unless paused for space
          }
        });
  }

  /**
   * The parent answered this cycle's first request: it is reachable and takes our credentials,
   * whatever the last cycle (or the start, which assumes Offline) said.
   */
  private void parentAnswered() {
    if (running && status.connectionState != ConnectionState.Syncing) {
      status.connectionState = ConnectionState.Syncing;
      persist();
    }
  }

  private void finished(DownstreamSync.Report report, Throwable failure) {
    Instant end = clock.instant();
    status.lastSyncEndTime = end.toString();
    if (report != null) {
      status.parentKind = report.feed() ? "feed" : "tags";
      status.connectionState = ConnectionState.Online;
      SyncStatus.LastCycle last = new SyncStatus.LastCycle();
      last.repositories = report.repositories();
      last.tagsCopied = report.tagsCopied();
      last.tagsDeleted = report.tagsDeleted();
      last.manifests = report.manifests();
      last.blobsFetched = report.blobsFetched();
      last.blobsLinked = report.blobsLinked();
      last.referrers = report.referrers();
      last.bytes = report.bytes();
      last.requests = report.requests();
      last.durationMillis = lastCycleStart == null ? 0 : Duration.between(lastCycleStart, end).toMillis();
      last.errors = report.errors().size();
      status.lastCycle = last;
      if (report.succeeded()) {
        status.syncState = SyncPhase.Succeeded;
        status.lastSuccessfulSyncEndTime = end.toString();
        status.lastError = null;
      } else if (!report.complete() && report.errors().isEmpty()) {
        status.syncState = SyncPhase.TimedOut;
      } else {
        status.syncState = SyncPhase.Failed;
        error("SyncFailed", report.errors().size() + " image(s) failed; first: "
            + report.errors().get(0), end);
      }
    } else {
      boolean unreachable = failure instanceof ParentUnavailableException;
      status.connectionState = unreachable ? ConnectionState.Offline
          : failure instanceof ParentStatusException s && (s.status() == 401 || s.status() == 403)
              ? ConnectionState.Unhealthy : ConnectionState.Online;
      status.syncState = SyncPhase.Failed;
      error(unreachable ? "ParentUnreachable" : "SyncFailed", String.valueOf(failure.getMessage()), end);
    }
    // For the metrics: the phase just decided is the cycle's result.
    totals.cycleEnded(status.syncState,
        lastCycleStart == null ? 0 : Duration.between(lastCycleStart, end).toNanos(), report);
    totals.feedPosition(sync.feedHead(), state.cursor());
    persist();
  }

  /**
   * Every few seconds, between cycles: says in the status at once when the space runs short, not
   * at the next scheduled cycle, and resumes as soon as it is back (a cycle that fell due meanwhile,
   * or a manual trigger, runs then).
   */
  private void watchSpace() {
    publish(); // bytes transferred and tag counts, mid-cycle too
    if (stopping.get() || running) {
      return;
    }
    boolean wasPaused = status.paused != null;
    if (!pausedForSpace() && wasPaused) {
      tick(SyncTrigger.Schedule);
    }
  }

  /**
   * True while the data folder has less than {@code storage.minFreeBytes} free: sync would only
   * be refused (507) and would take the last space a pull-serving registry has. Keeps the status
   * saying so; clears it when the space is back. On the sync context; reads the last measure.
   */
  private boolean pausedForSpace() {
    if (!space.isLow()) {
      if (status.paused != null) {
        LOG.info("sync: {} free again on the data folder; resuming", DiskSpace.describe(space.freeBytes()));
        status.paused = null;
        status.syncState = SyncPhase.Pending;
        persist();
      }
      return false;
    }
    boolean starting = status.paused == null;
    if (starting) {
      status.paused = new SyncStatus.Paused();
      status.paused.reason = "InsufficientStorage";
      status.paused.since = clock.instant().toString();
    }
    status.paused.freeBytes = space.freeBytes();
    status.paused.minFreeBytes = space.minFreeBytes();
    status.paused.description = "sync is paused: the data folder's file system has " + DiskSpace.describe(space.freeBytes())
        + " free, below storage.minFreeBytes (" + DiskSpace.describe(space.minFreeBytes())
        + "); it resumes by itself when space is freed (delete images, then collect garbage)";
    status.syncState = SyncPhase.Paused;
    if (starting) {
      LOG.warn("{}", status.paused.description);
      persist(); // may fail on a full disk: the status is served from memory all the same
    }
    return true;
  }

  private void error(String code, String description, Instant when) {
    SyncStatus.StatusDetails details = new SyncStatus.StatusDetails();
    details.type = "Sync";
    details.code = code;
    details.description = description;
    details.timestamp = when.toString();
    details.correlationId = UUID.randomUUID().toString();
    status.lastError = details;
    LOG.warn("sync: {} [correlationId={}]", description, details.correlationId);
  }

  private void persist() {
    publish();
    byte[] snapshot = status.snapshot();
    long version = ++statusVersion;
    // Writes run unordered on the pool: a snapshot older than the one already written is dropped,
    // so the file never goes back in time.
    worker.executeBlocking(() -> {
      synchronized (statusFileLock) {
        if (version > statusVersionWritten) {
          SyncStatus.write(data, snapshot);
          statusVersionWritten = version;
        }
      }
      return null;
    }, false).onFailure(e -> LOG.warn("cannot write sync status: {}", e.toString()));
  }

  /** The newest status snapshot taken (sync context) and the newest written (under the lock). */
  private long statusVersion;
  private final Object statusFileLock = new Object();
  private long statusVersionWritten;

  /**
   * Live configuration: a changed parent (same or another one; adding or removing the parent
   * takes a restart), {@code sync.*} key or mode. A cycle in progress stops at its next safe point
   * (between images, as at a window's end); the next one runs with the new settings at once.
   * Content of a repository that left the scope stays and is served; nothing more is synced into
   * it. A new parent gets a new client and the state kept for that parent (cursor reset when it is
   * another registry); the old client is closed a while later, so on-demand downloads from it
   * finish.
   */
  public void reconfigure(RegistryConfig next) {
    context.runOnContext(v -> {
      if (stopping.get()) {
        return;
      }
      pending = next;
      if (!running) {
        replan();
      }
    });
  }

  /** On the sync context, with no cycle running. */
  private void replan() {
    RegistryConfig next = pending;
    ParentEndpoint endpoint = endpoint(next.parent());
    ParentCaller oldCaller = caller;
    // Same address, credentials, CA and token realms: the client (its connections, circuit
    // breaker and tokens) and the state carry on.
    boolean sameParent = endpoint.equals(oldCaller.endpoint());
    boolean sameRegistry = endpoint.baseUrl().equals(oldCaller.endpoint().baseUrl());
    SyncState oldState = state;
    Future<SyncState> newState = sameRegistry ? Future.succeededFuture(oldState)
        : worker.executeBlocking(() -> {
          oldState.save();
          return SyncState.load(data, endpoint.baseUrl());
        }, false);
    newState.onComplete(loaded -> context.runOnContext(v -> {
      if (loaded.failed()) {
        // The old plan stays: better the old settings than none.
        LOG.error("sync: cannot load the sync state for {}; keeping the previous settings: {}",
            endpoint, loaded.cause().toString());
        pending = null;
        tick(SyncTrigger.Schedule);
        return;
      }
      if (running) {
        return; // a cycle started meanwhile: it stops at its next safe point and replans then
      }
      if (pending != next) {
        replan(); // an even newer configuration arrived meanwhile
        return;
      }
      pending = null;
      ParentCaller newCaller = sameParent ? oldCaller
          : new ParentCaller(vertx, endpoint, ParentPolicy.defaults());
      SyncState nextState = loaded.result();
      if (nextState == state && (!next.sync().repositories().equals(syncConfig.repositories())
          || !next.sync().tags().equals(syncConfig.tags()))) {
        nextState.relist();
      }
      UpstreamQueue previous = upstream;
      plan(next, newCaller, nextState);
      UpstreamQueue current = upstream;
      // One queue sends at a time: the new one starts once the old one finished its change.
      (previous == null ? Future.<Void>succeededFuture() : previous.stop()).onComplete(stopped -> {
        if (current != null && !stopping.get() && held == null) {
          current.start();
        }
      });
      if (!sameParent) {
        status.parent = endpoint.toString();
        vertx.setTimer(OLD_CALLER_GRACE.toMillis(), id -> oldCaller.close());
      }
      LOG.info("sync reconfigured: syncing {} from {} (schedule '{}'{})", next.sync().repositories(),
          status.parent, next.sync().schedule(), next.sync().onDemand() ? ", on-demand pull-through" : "");
      lastCycleStart = null; // the new settings start the next cycle now, not at the old schedule's
      tick(SyncTrigger.Reconfigured);
    }));
  }

  /**
   * No cycle starts until {@link #release()}, and a running one stops at its next safe point: the
   * root refused this instance's activation, or deactivated it. Served content stays.
   *
   * @param reason for the log
   */
  public void hold(String reason) {
    boolean starting = held == null;
    held = reason;
    if (starting) {
      LOG.warn("sync held (downstream and the upstream queue): {}", reason);
      context.runOnContext(v -> {
        if (upstream != null && held != null) {
          upstream.stop(); // after the change being sent; nothing goes up while held
        }
      });
    }
  }

  /** Sync may run again; the next cycle starts now if one is due. */
  public void release() {
    if (held != null) {
      held = null;
      LOG.info("sync released");
      context.runOnContext(v -> {
        if (upstream != null && !stopping.get()) {
          upstream.start();
        }
        tick(SyncTrigger.Schedule);
      });
    }
  }

  /** Stops scheduling; a running cycle stops at its next safe point. */
  public void stop() {
    stopping.set(true);
    context.runOnContext(v -> {
      if (upstream != null) {
        upstream.stop();
      }
      vertx.cancelTimer(timer);
      vertx.cancelTimer(spaceWatch);
    });
    caller.close();
  }
}
