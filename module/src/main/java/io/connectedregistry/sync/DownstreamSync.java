package io.connectedregistry.sync;

import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.storage.ChangeOrigin;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.storage.StoredManifest;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One downstream sync cycle: makes the repositories in scope here match the parent's.
 *
 * <ul>
 *   <li>A parent that is another instance of this project has a change feed: the first cycle
 *       copies everything by listing tags and remembers the feed's head; later cycles apply only
 *       the changes after the durable cursor, so a cycle with nothing new is one request.
 *   <li>Any other OCI registry: list the tags of each repository in scope, HEAD each one, copy
 *       what differs.
 * </ul>
 *
 * Tag moves are copies; a tag the parent deleted is deleted here only if sync created it and it
 * still points where sync put it ({@link SyncState}). The cycle checks {@code stop} between images
 * (the safe points): a closing window stops it there, and the next cycle carries on.
 */
public final class DownstreamSync {
  private static final Logger LOG = LoggerFactory.getLogger(DownstreamSync.class);
  /**
   * Images copied at once, from whichever repositories: enough to keep a link busy while each
   * image's small requests and commits (fsync) wait; concurrent downloads of a shared blob are
   * still made once (ImageCopier). One pool for the cycle ({@link TaskPool}), so that it stays
   * full while repositories start and end; with a bound per repository, all the images of a group
   * of repositories ended together and the next group's listings began only then.
   */
  static final int PARALLEL_IMAGES = 18;
  /**
   * Repositories listed and compared at once: more than the image pool can take from, so that
   * the next repositories' images are queued before the pool runs dry (each holds only its
   * listing until its images start).
   */
  private static final int PARALLEL_REPOSITORIES = 12;
  /** Tags of one image HEADed at once when its digest from the feed is gone at the parent. */
  private static final int PARALLEL_TAGS = 3;
  /**
   * HEADs of a plain parent's tags at once: each is one small round trip, so a parent with
   * thousands of tags is asked as fast as its connections allow ({@link ParentCaller}'s pool).
   */
  private static final int PARALLEL_HEADS = ParentCaller.MAX_CONNECTIONS;
  private static final int PAGE_SIZE = 1000;
  /**
   * Feed pages ({@link #PAGE_SIZE} changes each) one cycle applies; then it ends and the next
   * carries on from the cursor, so a parent whose feed says "more" forever cannot hold a cycle.
   */
  private static final int MAX_FEED_PAGES_PER_CYCLE = 100;
  /** Changes remembered as applied beyond a held cursor (~80 bytes each); past it, applied again. */
  private static final int MAX_APPLIED_AHEAD = 10_000;

  /** What one cycle did. {@code complete} is false when it stopped at a safe point. */
  public record Report(boolean feed, int repositories, long tagsCopied, long tagsDeleted,
      long manifests, long blobsFetched, long blobsLinked, long referrers, long bytes,
      long requests, List<String> errors, boolean complete) {
    public boolean succeeded() {
      return errors.isEmpty() && complete;
    }
  }

  private final ParentCaller caller;
  private final RegistryStorage storage;
  private final WorkerExecutor worker;
  private final SyncState state;
  private final List<RepositoryPattern> scope;
  private final TagFilter tags;
  private final TransferCounter counter;
  private final BlobFetcher blobs;
  private final boolean mirrorManifestDeletes;
  private final java.time.Duration messageTtl;
  private final java.time.Clock clock;
  /**
   * Failing changes that came without a usable timestamp, by sequence, and when each first failed
   * here: their age for {@code messageTtl} (in memory; after a restart it starts again). One per
   * repository of a page at most (each repository's changes stop at their first failure);
   * dropped once the cursor passes them.
   */
  private final Map<Long, java.time.Instant> failingSince = new java.util.concurrent.ConcurrentHashMap<>();
  /**
   * Changes applied beyond the cursor, by sequence: while a failing change holds the cursor, the
   * cycles read the feed from it again and skip these instead of applying them (and asking the
   * parent) once more. In memory (after a restart they are applied again: idempotent), dropped
   * once the cursor passes them, at most {@link #MAX_APPLIED_AHEAD}.
   */
  private final Set<Long> appliedAhead = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The parent's feed head as last listed; -1 before any feed page (or from a parent without a feed). */
  private volatile long feedHead = -1;
  /** Tags a client changed here that the upstream queue has yet to settle with the parent. */
  private TagGuard guard = TagGuard.NONE;

  /**
   * Whether sync must leave a local tag alone (a ReadWrite registry's client change, on its way up:
   * see {@link UpstreamQueue#holds}).
   */
  @FunctionalInterface
  interface TagGuard {
    TagGuard NONE = (repository, tag, parentTime) -> Future.succeededFuture(false);

    /** @param parentTime when the parent made the change sync would apply; null when unknown */
    Future<Boolean> holds(String repository, String tag, java.time.Instant parentTime);
  }

  /** Images copied at once; {@link #PARALLEL_IMAGES} unless set (tests: fewer than they push). */
  private int parallelImages = PARALLEL_IMAGES;

  /** Copies at most {@code images} images at once (before {@link #run}). */
  DownstreamSync imagesAtOnce(int images) {
    this.parallelImages = images;
    return this;
  }

  /** Leaves the tags {@code guard} holds to the upstream queue. */
  DownstreamSync guardedBy(TagGuard guard) {
    this.guard = guard;
    return this;
  }

  /**
   * @param mirrorManifestDeletes delete a manifest the parent deleted (a ReadOnly registry holds
   *     only what the parent has); else only tags are mirrored
   */
  public DownstreamSync(ParentCaller caller, RegistryStorage storage, WorkerExecutor worker,
      SyncState state, List<RepositoryPattern> scope, TagFilter tags, BlobFetcher blobs,
      TransferCounter counter, boolean mirrorManifestDeletes) {
    this(caller, storage, worker, state, scope, tags, blobs, counter, mirrorManifestDeletes,
        java.time.Duration.ofDays(2), java.time.Clock.systemUTC());
  }

  /**
   * @param messageTtl how old (by the parent's timestamp) a change of the parent's feed may get
   *     while it keeps failing; older, it is given up (reported as expired, never silently) so the
   *     changes after it can be applied
   */
  public DownstreamSync(ParentCaller caller, RegistryStorage storage, WorkerExecutor worker,
      SyncState state, List<RepositoryPattern> scope, TagFilter tags, BlobFetcher blobs,
      TransferCounter counter, boolean mirrorManifestDeletes, java.time.Duration messageTtl,
      java.time.Clock clock) {
    this.messageTtl = messageTtl;
    this.clock = clock;
    this.caller = caller;
    this.storage = storage;
    this.worker = worker;
    this.state = state;
    this.scope = List.copyOf(scope);
    this.tags = tags;
    this.blobs = blobs;
    this.counter = counter;
    this.mirrorManifestDeletes = mirrorManifestDeletes;
  }

  /** The parent's change-feed head as last listed; -1 before any feed page. */
  long feedHead() {
    return feedHead;
  }

  /** Runs one cycle; never fails for one image (its error is in the report), only for the parent. */
  public Future<Report> run(BooleanSupplier stop) {
    return run(stop, () -> { });
  }

  /**
   * Runs one cycle; {@code parentAnswered} is called (on the calling context) once the parent
   * answered the cycle's first request, so the status can say the parent is reachable before the
   * cycle ends.
   */
  public Future<Report> run(BooleanSupplier stop, Runnable parentAnswered) {
    Cycle cycle = new Cycle(stop);
    return cycle.run(parentAnswered);
  }

  private final class Cycle {
    final BooleanSupplier stop;
    final ImageCopier.Counts counts = new ImageCopier.Counts();
    final ImageCopier copier;
    /** Every image copy of a listing, from any repository. */
    final TaskPool images = new TaskPool(parallelImages);
    final AtomicLong tagsCopied = new AtomicLong();
    final AtomicLong tagsDeleted = new AtomicLong();
    final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    /** Entries of the parent's listings off the OCI grammar: reported, but they never hold a cycle back. */
    final List<String> refused = Collections.synchronizedList(new ArrayList<>());
    int feedPages;
    final long bytesBefore = counter.blobBytes();
    final long requestsBefore = caller.requestsSent();
    final Set<String> repositories = Collections.synchronizedSet(new HashSet<>());
    volatile boolean stopped;
    /** Repositories with a change that failed in this cycle: their later changes wait (feed order). */
    final Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The first feed change of this cycle not applied (failed, held or stopped), over all pages. */
    final AtomicLong firstNotApplied = new AtomicLong(Long.MAX_VALUE);
    boolean feed;
    /** The parent's store changed while the feed was folded: this cycle's copy is not followed from. */
    boolean storeChanged;
    /** Tag → digest per repository, from the feed of a first copy; empty otherwise. */
    Map<String, Map<String, Digest>> known = Map.of();
    /**
     * The manifests each repository in scope holds, by the whole feed of a first copy folded to its
     * end (put and not deleted since); null when the fold did not reach the feed's end (then
     * nothing is known of a repository's manifests).
     */
    Map<String, Set<Digest>> manifestsKnown;

    Cycle(BooleanSupplier stop) {
      this.stop = stop;
      this.copier = new ImageCopier(caller, blobs, storage, worker, counts);
    }

    Future<Report> run(Runnable parentAnswered) {
      return new ListChanges(caller, PAGE_SIZE).after(state.cursor()).compose(first -> {
        parentAnswered.run();
        if (first.isEmpty()) {
          return listAndCopy();
        }
        feed = true;
        storeOf(first.get());
        if (!state.following()) {
          // Never synced from this feed: copy everything, then follow the feed from where it stood
          // before the copy began (changes made during the copy are applied again: idempotent).
          feedHead = first.get().head();
          return copyAll(first.get()).compose(from -> {
            if (completed() && !storeChanged) {
              state.follow(from);
            }
            return save();
          });
        }
        return applyFeed(first.get());
      }).map(v -> report());
    }

    // ---- first copy from a feed parent ----

    /**
     * Copies everything from a feed parent and returns the sequence to follow the feed from. Never
     * synced from it (cursor 0): the feed from its start is the parent's whole history, so folded up
     * it names every tag's digest as of its last page, and the listing needs no HEAD per tag
     * ({@link #known}); the feed is then followed from that page, so whatever changed since is
     * applied next. Otherwise (a relist after a scope change), a plain listing, and the feed is
     * followed from the head as it stood before the copy (changes made meanwhile applied again:
     * idempotent). Folding is right from wherever {@code first} starts: each tag changed in the
     * pages read gets its last value there, and a tag they do not name is HEADed.
     */
    Future<Long> copyAll(ListChanges.Page first) {
      if (state.cursor() != 0) {
        long head = first.head();
        return listAndCopy().map(v -> head);
      }
      Map<String, Map<String, Digest>> digests = new HashMap<>();
      Map<String, Set<Digest>> manifests = new HashMap<>();
      return fold(first, digests, manifests, 1).compose(through -> {
        known = digests;
        return listAndCopy().map(v -> through);
      });
    }

    /**
     * Folds feed pages into {@code digests} (tag → digest per repository in scope) and returns the
     * last sequence folded. Stops after {@link #MAX_FEED_PAGES_PER_CYCLE} pages: tags changed
     * after that are HEADed, and the feed followed from there brings any later move.
     */
    Future<Long> fold(ListChanges.Page page, Map<String, Map<String, Digest>> digests,
        Map<String, Set<Digest>> manifests, int pages) {
      for (ListChanges.Change change : page.changes()) {
        String repository = change.repository();
        if (change.invalid() != null || repository == null || !inScope(repository)) {
          continue;
        }
        if (change.action().equals("manifest_put")) {
          manifests.computeIfAbsent(repository, r -> new HashSet<>()).add(change.digest());
        } else if (change.action().equals("manifest_deleted")) {
          manifests.computeIfAbsent(repository, r -> new HashSet<>()).remove(change.digest());
        }
        if (change.tag() == null || !tags.accepts(change.tag())) {
          continue;
        }
        if (change.action().equals("tag_set")) {
          digests.computeIfAbsent(repository, r -> new HashMap<>()).put(change.tag(), change.digest());
        } else if (change.action().equals("tag_deleted")) {
          Map<String, Digest> repositoryTags = digests.get(repository);
          if (repositoryTags != null) {
            repositoryTags.remove(change.tag());
          }
        }
      }
      if (!page.more()) {
        manifestsKnown = manifests; // the whole feed: every manifest the parent holds in scope
        return Future.succeededFuture(page.last());
      }
      if (pages >= MAX_FEED_PAGES_PER_CYCLE || stopped()) {
        return Future.succeededFuture(page.last());
      }
      return new ListChanges(caller, PAGE_SIZE).after(page.last()).compose(next -> {
        if (next.isEmpty()) {
          return Future.succeededFuture(page.last());
        }
        String store = next.get().store();
        if (store != null && state.store() != null && !store.equals(state.store())) {
          // Another store answers now: its sequences continue nothing folded so far. Every tag is
          // HEADed, and the feed is not followed from here (the next cycle lists again).
          storeOf(next.get());
          storeChanged = true;
          digests.clear();
          return Future.succeededFuture(page.last());
        }
        return fold(next.get(), digests, manifests, pages + 1);
      });
    }

    // ---- listing: any OCI parent ----

    Future<Void> listAndCopy() {
      return repositoriesInScope().compose(names -> {
        List<Callable<Future<Void>>> tasks = new ArrayList<>();
        for (String repository : names) {
          tasks.add(() -> syncRepository(repository));
        }
        return Bounded.all(tasks, PARALLEL_REPOSITORIES).compose(v -> save());
      });
    }

    Future<List<String>> repositoriesInScope() {
      Set<String> names = new LinkedHashSet<>();
      boolean wildcard = false;
      for (RepositoryPattern pattern : scope) {
        if (pattern.isWildcard()) {
          wildcard = true;
        } else {
          names.add(pattern.value());
        }
      }
      // Repositories sync created before keep being mirrored even if the parent dropped them.
      for (String known : stateRepositories()) {
        if (inScope(known)) {
          names.add(known);
        }
      }
      if (!wildcard) {
        return Future.succeededFuture(new ArrayList<>(names));
      }
      return new ListCatalog(caller, PAGE_SIZE).list().map(catalog -> {
        refused.addAll(catalog.refused());
        for (String repository : catalog.entries()) {
          if (inScope(repository)) {
            names.add(repository);
          }
        }
        return new ArrayList<>(names);
      });
    }

    Future<Void> syncRepository(String repository) {
      repositories.add(repository);
      return new ListTags(caller, PAGE_SIZE).list(repository).compose(found -> {
        found.ifPresent(listing -> refused.addAll(listing.refused()));
        List<String> parentTags = found.map(Listing::entries).orElse(List.of()).stream()
            .filter(tags::accepts).toList();
        Map<String, Digest> fromFeed = known.getOrDefault(repository, Map.of());
        return digests(repository, parentTags, fromFeed)
            .compose(digests -> copyImages(repository, digests, fromFeed))
            .compose(v -> stopped() ? Future.succeededFuture()
                : mirrorDeletions(repository, new HashSet<>(parentTags)));
      }).recover(e -> recordFailure(repository, null, e));
    }

    /**
     * The parent's digest of each tag, in listing order: from the feed when it said, else a HEAD
     * ({@link #PARALLEL_HEADS} at once). A tag whose HEAD fails is reported and left out.
     */
    Future<Map<String, Digest>> digests(String repository, List<String> parentTags, Map<String, Digest> fromFeed) {
      Map<String, Digest> found = Collections.synchronizedMap(new LinkedHashMap<>());
      List<Callable<Future<Void>>> heads = new ArrayList<>();
      for (String tag : parentTags) {
        Digest digest = fromFeed.get(tag);
        found.put(tag, digest);
        if (digest == null) {
          heads.add(() -> stopped() ? Future.succeededFuture() : parentDigest(repository, tag)
              .map(d -> {
                found.put(tag, d.orElse(null));
                return (Void) null;
              })
              .recover(e -> recordFailure(repository, tag, e)));
        }
      }
      return Bounded.all(heads, PARALLEL_HEADS).map(v -> {
        Map<String, Digest> known = new LinkedHashMap<>();
        synchronized (found) {
          found.forEach((tag, digest) -> {
            if (digest != null) {
              known.put(tag, digest);
            }
          });
        }
        return known;
      });
    }

    /** The digest {@code tag} points at in the parent; empty when it is gone. */
    Future<Optional<Digest>> parentDigest(String repository, String tag) {
      return new HeadManifest(caller).head(repository, Reference.parse(tag)).compose(info -> {
        if (info.isEmpty()) {
          return Future.succeededFuture(Optional.empty()); // deleted meanwhile: the next cycle mirrors it
        }
        if (info.get().digest() != null) {
          return Future.succeededFuture(Optional.of(info.get().digest()));
        }
        // Parent did not say: the GET by tag tells (and verifies) it.
        return new GetManifest(caller).get(repository, Reference.parse(tag))
            .map(m -> m.map(ParentManifest::digest));
      });
    }

    /**
     * Copies each image once with all its tags (in the cycle's pool of images): tags with
     * identical manifests share the manifest GET, the blobs, the referrer walk and the commit. The
     * local tags are read in one storage call; a tag that already points where the parent's does
     * is only recorded as synced, and a tag the guard holds is left alone either way.
     */
    Future<Void> copyImages(String repository, Map<String, Digest> parent, Map<String, Digest> fromFeed) {
      return blocking(() -> storage.tagDigests(repository)).compose(local -> {
        Map<Digest, List<String>> images = new LinkedHashMap<>();
        Future<Void> guarded = Future.succeededFuture();
        for (Map.Entry<String, Digest> tag : parent.entrySet()) {
          guarded = guarded.compose(v -> guard.holds(repository, tag.getKey(), null).map(holds -> {
            if (holds) {
              LOG.debug("{}:{} changed here and not yet settled with the parent: left to the upstream queue",
                  repository, tag.getKey());
            } else if (tag.getValue().equals(local.get(tag.getKey()))) {
              state.tagSynced(repository, tag.getKey(), tag.getValue().toString());
            } else {
              images.computeIfAbsent(tag.getValue(), d -> new ArrayList<>()).add(tag.getKey());
            }
            return (Void) null;
          }));
        }
        return guarded.compose(v -> {
          // Every image this repository's tags will point at here: those copied now and those already here.
          Set<Digest> covered = new HashSet<>(images.keySet());
          parent.forEach((tag, digest) -> {
            if (digest.equals(local.get(tag))) {
              covered.add(digest);
            }
          });
          List<Future<Void>> copies = new ArrayList<>();
          images.forEach((digest, imageTags) -> copies.add(this.images.submit(() -> stopped() ? Future.succeededFuture()
              : copyImage(repository, digest, imageTags, fromFeed.containsKey(imageTags.get(0)),
                  mayHaveReferrers(repository, digest, covered)))));
          // Completes once every copy ended, with the first failure if any (as Bounded.all).
          return Future.join(copies).transform(all -> all.succeeded() ? Future.<Void>succeededFuture()
              : Future.<Void>failedFuture(all.cause()));
        });
      });
    }

    /**
     * Whether the parent may hold referrers of {@code image} that copying {@code covered} would not
     * bring. A referrer is a manifest of its subject's repository, and the whole feed of a first
     * copy names every manifest the parent holds ({@link #manifestsKnown}): when each of the
     * repository's manifests is an image one of its tags brings here, no other can be a referrer
     * (a tagged referrer comes with its tag), so there is nothing to ask. An image the feed did
     * not name (put after the fold) is asked about as before; a referrer pushed after the fold
     * comes as the feed's {@code manifest_put}, which the next cycle follows.
     */
    boolean mayHaveReferrers(String repository, Digest image, Set<Digest> covered) {
      if (manifestsKnown == null || storeChanged) {
        return true;
      }
      Set<Digest> held = manifestsKnown.getOrDefault(repository, Set.of());
      return !held.contains(image) || !covered.containsAll(held);
    }

    Future<Void> copyImage(String repository, Digest digest, List<String> imageTags, boolean fromFeed,
        boolean referrers) {
      return copier.copy(repository, digest, imageTags, batch -> {
        tagsCopied.addAndGet(batch.size());
        for (String tag : batch) {
          state.tagSynced(repository, tag, digest.toString());
        }
        if (batch.size() == 1) {
          LOG.info("synced {}:{} ({})", repository, batch.get(0), digest);
        } else {
          LOG.info("synced {} tags of {} ({}): {}, ...", batch.size(), repository, digest, batch.get(0));
        }
      }, referrers).recover(e -> {
        if (fromFeed && e instanceof ParentStatusException status && status.status() == 404) {
          // The feed's digest is gone at the parent since: ask where each tag points now.
          List<Callable<Future<Void>>> each = new ArrayList<>();
          for (String tag : imageTags) {
            each.add(() -> syncTag(repository, tag));
          }
          return Bounded.all(each, PARALLEL_TAGS);
        }
        return recordFailure(repository, imageTags.get(0)
            + (imageTags.size() > 1 ? " (and " + (imageTags.size() - 1) + " more tags of " + digest + ")" : ""), e);
      });
    }

    Future<Void> syncTag(String repository, String tag) {
      return new HeadManifest(caller).head(repository, Reference.parse(tag)).compose(info -> {
        if (info.isEmpty()) {
          return Future.succeededFuture(); // deleted meanwhile: the next cycle mirrors it
        }
        Digest digest = info.get().digest();
        if (digest == null) {
          // Parent did not say: the GET by tag tells (and verifies) it.
          return new GetManifest(caller).get(repository, Reference.parse(tag))
              .compose(m -> m.isEmpty() ? Future.succeededFuture()
                  : copyTag(repository, tag, m.get().digest(), null));
        }
        return copyTag(repository, tag, digest, null);
      }).recover(e -> recordFailure(repository, tag, e));
    }

    Future<Void> copyTag(String repository, String tag, Digest digest, java.time.Instant parentTime) {
      return guard.holds(repository, tag, parentTime).compose(held -> {
        if (held) {
          LOG.debug("{}:{} changed here and not yet settled with the parent: left to the upstream queue",
              repository, tag);
          return Future.succeededFuture();
        }
        return copyUnheldTag(repository, tag, digest);
      });
    }

    Future<Void> copyUnheldTag(String repository, String tag, Digest digest) {
      return localTag(repository, tag).compose(local -> {
        if (local.isPresent() && local.get().equals(digest)) {
          state.tagSynced(repository, tag, digest.toString());
          return Future.succeededFuture();
        }
        return copier.copy(repository, digest, tag).onSuccess(v -> {
          tagsCopied.incrementAndGet();
          state.tagSynced(repository, tag, digest.toString());
          LOG.info("synced {}:{} ({})", repository, tag, digest);
        });
      });
    }

    Future<Void> mirrorDeletions(String repository, Set<String> parentTags) {
      Future<Void> chain = Future.succeededFuture();
      for (Map.Entry<String, String> synced : state.syncedTags(repository).entrySet()) {
        if (!parentTags.contains(synced.getKey())) {
          chain = chain.compose(v -> deleteSyncedTag(repository, synced.getKey()));
        }
      }
      return chain;
    }

    Future<Void> deleteSyncedTag(String repository, String tag) {
      String synced = state.syncedDigest(repository, tag);
      if (synced == null) {
        return Future.succeededFuture();
      }
      return localTag(repository, tag).compose(local -> {
        state.tagRemoved(repository, tag);
        if (local.isEmpty() || !local.get().toString().equals(synced)) {
          return Future.succeededFuture(); // moved here since: no longer sync's to delete
        }
        return blocking(() -> storage.deleteManifest(repository, Reference.parse(tag), ChangeOrigin.SYNC)).map(d -> {
          tagsDeleted.incrementAndGet();
          LOG.info("deleted {}:{} (deleted at the parent)", repository, tag);
          return (Void) null;
        });
      });
    }

    // ---- change feed: a parent of this project ----

    /**
     * Records the store the page's sequence numbers count in; another store than the one the
     * cursor came from means the cursor says nothing there: a full listing again (this cycle, from
     * this page's head).
     */
    void storeOf(ListChanges.Page page) {
      String before = state.store();
      if (state.storeSeen(page.store())) {
        failingSince.clear(); // sequences of another log: none of them is failing here
        appliedAhead.clear();
        LOG.warn("the parent's change feed now counts in store {}, not {} that the cursor came from"
            + " (its metadata was recreated or restored, or another registry answers there):"
            + " listing everything again", page.store(), before);
      }
    }

    Future<Void> applyFeed(ListChanges.Page page) {
      feedPages++;
      if (page.store() != null && state.store() != null && !page.store().equals(state.store())) {
        // The parent's store changed between two pages of one cycle: stop; the next cycle lists.
        storeOf(page);
        return save();
      }
      feedHead = page.head();
      // Each repository's changes apply in the feed's order, and repositories side by side (a
      // change never depends on another repository's). In one chain, 60 new images took 2 s.
      Map<String, List<ListChanges.Change>> byRepository = new LinkedHashMap<>();
      for (ListChanges.Change change : page.changes()) {
        byRepository.computeIfAbsent(String.valueOf(change.repository()), r -> new ArrayList<>()).add(change);
      }
      List<Callable<Future<Void>>> chains = new ArrayList<>();
      for (List<ListChanges.Change> changes : byRepository.values()) {
        chains.add(() -> applyInOrder(changes).map(sequence -> {
          firstNotApplied.accumulateAndGet(sequence, Math::min);
          return (Void) null;
        }));
      }
      return Bounded.all(chains, parallelImages).compose(v -> {
        // Every change before the first one not applied was applied, whichever its repository:
        // the cursor passes them. Those applied after it are remembered (appliedAhead), so the
        // cycles that read the feed from the cursor again skip them.
        long through = firstNotApplied.get() == Long.MAX_VALUE ? page.last() : firstNotApplied.get() - 1;
        state.cursor(Math.max(state.cursor(), through));
        failingSince.keySet().removeIf(sequence -> sequence <= state.cursor());
        appliedAhead.removeIf(sequence -> sequence <= state.cursor());
        if (stopped()) {
          return save();
        }
        // The next page follows this one, not the cursor: a held cursor would read this page again.
        return save().compose(s -> page.more() && feedPages < MAX_FEED_PAGES_PER_CYCLE
            ? new ListChanges(caller, PAGE_SIZE).after(page.last())
                .compose(next -> next.isEmpty() ? Future.succeededFuture() : applyFeed(next.get()))
            : Future.succeededFuture());
      });
    }

    /**
     * Applies one repository's changes in order until one fails (that repository then waits, in
     * this cycle's later pages too) or the cycle stops; returns the sequence of the first change
     * not applied, or {@link Long#MAX_VALUE} when all were. A change applied in an earlier cycle
     * beyond a held cursor is skipped.
     */
    Future<Long> applyInOrder(List<ListChanges.Change> changes) {
      long[] firstNotApplied = {Long.MAX_VALUE};
      String repository = String.valueOf(changes.get(0).repository());
      Future<Void> chain = Future.succeededFuture();
      for (ListChanges.Change change : changes) {
        chain = chain.compose(v -> {
          if (firstNotApplied[0] != Long.MAX_VALUE || held.contains(repository) || stopped()) {
            firstNotApplied[0] = Math.min(firstNotApplied[0], change.sequence());
            return Future.succeededFuture();
          }
          if (appliedAhead.contains(change.sequence())) {
            return Future.succeededFuture();
          }
          return apply(change).map(applied -> {
            if (!applied) {
              firstNotApplied[0] = change.sequence();
            } else if (appliedAhead.size() < MAX_APPLIED_AHEAD) {
              appliedAhead.add(change.sequence());
            }
            return (Void) null;
          });
        });
      }
      return chain.map(v -> firstNotApplied[0]);
    }

    /**
     * Applies one change: true when the cursor may pass it. A change that fails (a parent error,
     * or values off the OCI grammar) holds its repository's later changes, to keep them in order,
     * and the cursor before it, until it is older than {@code messageTtl}; then it is given up,
     * reported as expired. Other repositories' changes go on (the parent unreachable stops all).
     */
    Future<Boolean> apply(ListChanges.Change change) {
      String repository = change.repository();
      boolean named = validName(repository);
      if ((change.invalid() == null || named) && (repository == null || !inScope(repository))) {
        return Future.succeededFuture(true);
      }
      if (named) {
        repositories.add(repository);
      }
      Future<Void> applied;
      try {
        applied = change.invalid() != null
            ? Future.failedFuture(new IllegalArgumentException(change.invalid()))
            : applyValid(change);
      } catch (RuntimeException e) {
        applied = Future.failedFuture(e);
      }
      return applied.map(v -> true)
          .recover(e -> {
            if (e instanceof ParentUnavailableException) {
              stopped = true; // the other repositories' changes stop too
              return Future.failedFuture(e); // stop here; the cursor stays before this page
            }
            if (e instanceof ParentStatusException status && status.status() == 404) {
              // Gone at the parent since (a later change says so): nothing to copy.
              return Future.succeededFuture(true);
            }
            java.time.Instant now = clock.instant();
            java.time.Instant since = failingSince(change, now);
            if (java.time.Duration.between(since, now).compareTo(messageTtl) > 0) {
              String made = change.timestamp() != null ? "made at the parent " + change.timestamp()
                  : "failing here since " + since;
              errors.add("change " + change.sequence() + " (" + change.describe() + ", " + made
                  + ") expired: still failing after sync.messageTtl " + messageTtl + "; last error: "
                  + e.getMessage());
              LOG.error("giving up change {} ({}, {}): older than sync.messageTtl {} and still"
                  + " failing: {}", change.sequence(), change.describe(), made, messageTtl, e.toString());
              return Future.succeededFuture(true);
            }
            // Its repository stops here, so this change is retried next cycle before its later ones.
            held.add(String.valueOf(repository));
            return recordFailure(String.valueOf(repository), change.tag(), e).map(v -> false);
          });
    }

    Future<Void> applyValid(ListChanges.Change change) {
      String repository = change.repository();
      return switch (change.action()) {
        case "tag_set" -> tags.accepts(change.tag())
            ? copyTag(repository, change.tag(), change.digest(), change.timestamp())
            : Future.succeededFuture();
        case "tag_deleted" -> deleteSyncedTag(repository, change.tag());
        case "manifest_put" -> copier.copy(repository, change.digest(), null);
        case "manifest_deleted" -> mirrorManifestDeletes
            ? blocking(() -> storage.deleteManifest(repository, new Reference(null, change.digest()), ChangeOrigin.SYNC))
                .mapEmpty()
            : Future.succeededFuture();
        default -> Future.succeededFuture(); // a newer parent's event: nothing to do here
      };
    }

    /** How old a failing change is: by the parent's timestamp, else since it first failed here. */
    java.time.Instant failingSince(ListChanges.Change change, java.time.Instant now) {
      if (change.timestamp() != null) {
        return change.timestamp();
      }
      return failingSince.computeIfAbsent(change.sequence(), s -> now);
    }

    // ---- helpers ----

    boolean stopped() {
      if (!stopped && stop.getAsBoolean()) {
        stopped = true;
        LOG.info("sync window closed: stopping at a safe point; the next window continues");
      }
      return stopped;
    }

    boolean completed() {
      return !stopped && errors.isEmpty();
    }

    Future<Void> recordFailure(String repository, String tag, Throwable e) {
      if (e instanceof ParentUnavailableException) {
        return Future.failedFuture(e);
      }
      String what = repository + (tag == null ? "" : ":" + tag);
      errors.add(what + ": " + e.getMessage());
      LOG.warn("sync of {} failed: {}", what, e.toString());
      return Future.succeededFuture();
    }

    Future<Optional<Digest>> localTag(String repository, String tag) {
      return blocking(() -> storage.manifest(repository, Reference.parse(tag))
          .map(StoredManifest::digest));
    }

    Future<Void> save() {
      SyncState.Snapshot snapshot = state.snapshot();
      return blocking(() -> {
        state.write(snapshot);
        return null;
      });
    }

    Report report() {
      List<String> all = new ArrayList<>(errors);
      all.addAll(refused);
      all.addAll(counts.refused);
      return new Report(feed, repositories.size(), tagsCopied.get(), tagsDeleted.get(),
          counts.manifests.get(), counts.blobsFetched.get(), counts.blobsLinked.get(),
          counts.referrers.get(), counter.blobBytes() - bytesBefore,
          caller.requestsSent() - requestsBefore, List.copyOf(all),
          !stopped);
    }
  }

  private boolean inScope(String repository) {
    for (RepositoryPattern pattern : scope) {
      if (pattern.matches(repository)) {
        return true;
      }
    }
    return false;
  }

  private static boolean validName(String repository) {
    try {
      RepositoryName.of(repository);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private Set<String> stateRepositories() {
    return state.repositories();
  }

  private <T> Future<T> blocking(Callable<T> task) {
    return worker.executeBlocking(task, false);
  }
}
