package io.connectedregistry.sync;

import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.Change;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.storage.StoredManifest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one change of the local change log to the parent, for the {@link UpstreamQueue} (which
 * keeps the order, the cursor and the retries): a manifest with its blobs (HEAD first, mounted or
 * streamed from disk) and child manifests, a tag after the conflict rule (see the queue's class
 * comment), a tag or manifest delete. Every step asks the parent first, so sending a change
 * again after a crash changes nothing there. On the sync context.
 */
final class UpstreamSender {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamSender.class);
  /** Blobs known to be in a repository of the parent, for cross-repository mounts. */
  private static final int KNOWN_BLOBS = 10_000;

  /** Where conflicts are reported: the log and the status. */
  @FunctionalInterface
  interface Reporter {
    void report(String code, String description);
  }

  private final Vertx vertx;
  private final ParentCaller caller;
  private final RegistryStorage storage;
  private final WorkerExecutor worker;
  private final UpstreamState state;
  private final SyncState syncState;
  private final ImageCopier copier;
  private final BandwidthLimiter bandwidth;
  private final Reporter reporter;
  /**
   * Uploads that broke off in this process, by repository@digest: resumed from the parent's
   * offset by the next try (after a restart, uploads start over).
   */
  private final Map<String, UploadLocation> interrupted = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, UploadLocation> eldest) {
      return size() > 100; // a few at a time in practice: the queue sends one change at a time
    }
  };
  /** The change whose conflict was last reported. */
  private long conflictReported = -1;
  private final Map<Digest, String> knownAt = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Digest, String> eldest) {
      return size() > KNOWN_BLOBS;
    }
  };


  UpstreamSender(Vertx vertx, ParentCaller caller, RegistryStorage storage, WorkerExecutor worker,
      UpstreamState state, SyncState syncState, ImageCopier copier, BandwidthLimiter bandwidth, Reporter reporter) {
    this.vertx = vertx;
    this.caller = caller;
    this.storage = storage;
    this.worker = worker;
    this.state = state;
    this.syncState = syncState;
    this.copier = copier;
    this.bandwidth = bandwidth;
    this.reporter = reporter;
  }

  /** Sends one change; fails as the parent (or local storage) did. */
  Future<Void> send(Change change) {
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
        // Parsing hashes the bytes: on a worker, like every hash.
        return blocking(() -> ManifestParser.parse(stored.bytes(), stored.mediaType(), digest.algorithm()))
            .compose(manifest -> pushParsed(repository, digest, stored, manifest, path));
      });
    });
  }

  /** The blobs, the child manifests (an index's platforms), then the manifest itself by digest. */
  private Future<Boolean> pushParsed(String repository, Digest digest, StoredManifest stored, Manifest manifest,
      Set<Digest> path) {
    Set<Digest> below = new HashSet<>(path);
    below.add(digest);
    Future<Void> chain = Future.succeededFuture();
    for (Descriptor blob : manifest.blobs()) {
      chain = chain.compose(v -> pushBlob(repository, blob.digest()));
    }
    for (Descriptor child : manifest.manifests()) {
      chain = chain.compose(v -> pushManifest(repository, child.digest(), below).mapEmpty());
    }
    return chain
        .compose(v -> new PutManifest(caller).put(repository, digest.toString(), stored.mediaType(), stored.bytes()))
        .map(v -> {
          LOG.info("upstream: pushed {}@{}", repository, digest);
          return true;
        });
  }

  private Future<Void> pushBlob(String repository, Digest digest) {
    return new HeadBlob(caller).check(repository, digest).compose(atParent -> {
      if (atParent.exists()) {
        knownAt.put(digest, repository);
        return Future.succeededFuture();
      }
      return blocking(() -> storage.blobSize(repository, digest).orElseThrow(() ->
          new Unsendable(repository + " no longer holds blob " + digest)))
          .compose(size -> resume(repository, digest, size).compose(done -> done ? Future.succeededFuture()
              : startAndSend(repository, digest, size)))
          .onSuccess(v -> knownAt.put(digest, repository));
    });
  }

  /**
   * Finishes an upload of this blob that broke off earlier in this process, from the bytes the
   * parent has. False when there is none, or it cannot be resumed (gone, or the parent's answers
   * do not add up): then it starts over.
   */
  private Future<Boolean> resume(String repository, Digest digest, long size) {
    String key = repository + "@" + digest;
    UploadLocation remembered = interrupted.remove(key);
    if (remembered == null) {
      return Future.succeededFuture(false);
    }
    return new UploadProgress(caller).get(repository, remembered).compose(found -> {
      if (found.isEmpty() || found.get().offset() > size) {
        return Future.succeededFuture(false);
      }
      LOG.info("upstream: resuming the upload of {} to {} at byte {} of {}", digest, repository,
          found.get().offset(), size);
      return send(repository, digest, size, found.get()).map(true);
    }).recover(e -> {
      if (e instanceof ParentUnavailableException) {
        interrupted.putIfAbsent(key, remembered); // still worth resuming once the parent is back
        return Future.failedFuture(e);
      }
      return Future.succeededFuture(false); // refused or confused: a fresh upload settles it
    });
  }

  private Future<Void> startAndSend(String repository, Digest digest, long size) {
    String from = knownAt.get(digest);
    Future<UploadLocation> upload = from != null && !from.equals(repository)
        ? new MountBlob(caller).mount(repository, from, digest).map(MountBlob.Result::upload)
        : new StartUpload(caller).start(repository);
    return upload.compose(location -> location == null ? Future.succeededFuture()
        : send(repository, digest, size, location));
  }

  /**
   * Streams the local blob from {@code location}'s offset into the upload (one PATCH), then the
   * PUT that commits it. An upload that breaks off is remembered, to be resumed by the next try.
   */
  private Future<Void> send(String repository, Digest digest, long size, UploadLocation location) {
    String key = repository + "@" + digest;
    List<BlobBody> opened = new ArrayList<>();
    long from = location.offset();
    // Opened anew for each send (a 401 answered makes the caller send again).
    ParentRequest.BodySource source = () -> blocking(() -> storage.openBlob(repository, digest))
        .map(blob -> {
          BlobBody body = new BlobBody(vertx, worker, blob.channel(), from, blob.size(), bandwidth);
          opened.add(body);
          return body;
        });
    Future<UploadLocation> sent = from >= size ? Future.succeededFuture(location)
        : new PatchUpload(caller).patch(repository, location, source, size - from)
            .onFailure(e -> interrupted.put(key, location));
    return sent.compose(at -> new PutUpload(caller).complete(repository, at, digest, Buffer.buffer()))
        .compose(stored -> stored.equals(digest) ? Future.<Void>succeededFuture()
            : Future.failedFuture(new DigestMismatchException("blob pushed to the parent", digest, stored, size)))
        .onComplete(done -> opened.forEach(BlobBody::close));
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
      if (conflictReported != change.sequence()) { // a retried change reports its conflict once
        conflictReported = change.sequence();
        reporter.report("UpstreamConflict", description);
      }
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

  private Future<Optional<StoredManifest>> local(String repository, Digest digest) {
    return blocking(() -> storage.manifest(repository, new Reference(null, digest)));
  }

  private <T> Future<T> blocking(Callable<T> task) {
    return worker.executeBlocking(task, false);
  }

  static String describe(Change change) {
    return change.action() + " " + change.repository()
        + (change.tag() != null ? ":" + change.tag() : "") + "@" + change.digest();
  }

  /** A change that cannot be sent whatever the parent says (its local content is gone, or loops). */
  static final class Unsendable extends RuntimeException {
    Unsendable(String message) {
      super(message);
    }
  }
}
