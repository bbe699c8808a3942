package io.connectedregistry.sync;

import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.ChangeOrigin;
import io.connectedregistry.storage.RegistryStorage;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Copies one manifest from the parent, and everything it needs, into a local repository:
 * blobs first, then child manifests (every platform of an index), then the manifest itself with
 * its tag, then its referrers (signatures, SBOMs). Storage refuses a manifest whose blobs or
 * children are missing, and the tag is set in the same transaction as the manifest, so a client
 * never sees a tag whose image is not all here.
 *
 * <p>A blob already in any local repository is linked, not downloaded; a blob two images need at
 * the same time is downloaded once (the second waits for the first). Manifests keep the parent's
 * exact bytes, so digests are the parent's.
 */
final class ImageCopier {
  /** Blobs of one image downloaded at once. */
  private static final int PARALLEL_BLOBS = 4;
  /**
   * Referrers (and their referrers) copied with one image: real images carry a handful
   * (signatures, SBOMs, attestations); this ends a parent that makes up new ones without end.
   */
  static final int MAX_REFERRERS_PER_IMAGE = 1_000;
  /**
   * Tags of one image set in one transaction: one commit for many tags, while the write lock a
   * batch holds stays short (a client's push waits for it).
   */
  static final int TAGS_PER_TRANSACTION = 500;

  /** What a sync cycle copied, for the report and status. */
  static final class Counts {
    final AtomicLong manifests = new AtomicLong();
    final AtomicLong blobsFetched = new AtomicLong();
    final AtomicLong blobsLinked = new AtomicLong();
    final AtomicLong referrers = new AtomicLong();
    /** Referrer entries of the parent off the OCI grammar: skipped, and reported. */
    final List<String> refused = java.util.Collections.synchronizedList(new ArrayList<>());
  }

  private final GetManifest getManifest;
  private final ListReferrers listReferrers;
  private final BlobFetcher blobs;
  private final RegistryStorage storage;
  private final WorkerExecutor worker;
  private final Counts counts;
  /** Blob downloads in progress in this cycle, by digest. */
  private final Map<Digest, Future<Void>> downloading = new ConcurrentHashMap<>();
  /**
   * Images ({@code repository@digest}) whose referrers this cycle asked for already: a feed brings
   * an image's {@code manifest_put} and then its {@code tag_set}, and each copied it with its
   * referrers (one request more per image). A referrer pushed after the first asking comes as a
   * {@code manifest_put} of its own.
   */
  private final Set<String> referrersAsked = ConcurrentHashMap.newKeySet();

  ImageCopier(ParentCaller caller, BlobFetcher blobs, RegistryStorage storage, WorkerExecutor worker,
      Counts counts) {
    this.getManifest = new GetManifest(caller);
    this.listReferrers = new ListReferrers(caller);
    this.blobs = blobs;
    this.storage = storage;
    this.worker = worker;
    this.counts = counts;
  }

  /**
   * Makes {@code digest} of the parent's {@code repository} present here, tagged {@code tag}
   * (null: untagged), with its referrers.
   */
  Future<Void> copy(String repository, Digest digest, String tag) {
    return copy(repository, digest, tag == null ? List.of() : List.of(tag), batch -> {});
  }

  /**
   * As {@link #copy(String, Digest, String)} with every one of {@code tags} (none: untagged): the
   * image is fetched and walked once, and its tags set in batches of {@link #TAGS_PER_TRANSACTION},
   * each batch handed to {@code tagged} (on the caller's context) once committed, so a failure
   * after some batches still leaves the caller knowing which tags it set.
   */
  Future<Void> copy(String repository, Digest digest, List<String> tags, Consumer<List<String>> tagged) {
    return copy(repository, digest, tags, tagged, true);
  }

  /**
   * As {@link #copy(String, Digest, List, Consumer)}; with {@code referrers} false the parent is not
   * asked for the image's referrers, because the caller knows it holds none (see
   * {@code DownstreamSync}: the whole change feed of a first copy names every manifest).
   */
  Future<Void> copy(String repository, Digest digest, List<String> tags, Consumer<List<String>> tagged,
      boolean referrers) {
    // Every manifest of this image's referrer walk: a parent may list a manifest as its own
    // referrer, or two as each other's; each is copied and asked about once.
    Set<Digest> walked = new java.util.HashSet<>(Set.of(digest));
    List<String> first = tags.subList(0, Math.min(tags.size(), TAGS_PER_TRANSACTION));
    Future<Void> chain = copyManifest(repository, digest, first, Set.of()).onSuccess(v -> report(first, tagged));
    for (int from = first.size(); from < tags.size(); from += TAGS_PER_TRANSACTION) {
      List<String> batch = tags.subList(from, Math.min(tags.size(), from + TAGS_PER_TRANSACTION));
      chain = chain.compose(v -> copyManifest(repository, digest, batch, Set.of()))
          .onSuccess(v -> report(batch, tagged));
    }
    return referrers ? chain.compose(v -> copyReferrers(repository, digest, walked)) : chain;
  }

  private static void report(List<String> batch, Consumer<List<String>> tagged) {
    if (!batch.isEmpty()) {
      tagged.accept(batch);
    }
  }

  private Future<Void> copyManifest(String repository, Digest digest, List<String> tags, Set<Digest> path) {
    if (path.contains(digest)) {
      return Future.failedFuture(new IllegalStateException(
          "manifest " + digest + " of " + repository + " contains itself"));
    }
    return blocking(() -> storage.manifest(repository, Reference.parse(digest.toString())))
        .compose(local -> {
          if (local.isPresent()) {
            // Already here: only the tags may be new. Re-storing the same bytes is idempotent.
            return tags.isEmpty() ? Future.succeededFuture()
                : blocking(() -> {
                  storage.putManifestTags(repository, ManifestParser.parse(local.get().bytes(),
                      local.get().mediaType(), digest.algorithm()), tags, ChangeOrigin.SYNC);
                  return null;
                });
          }
          return getManifest.get(repository, Reference.parse(digest.toString())).compose(found -> {
            ParentManifest parent = found.orElseThrow(() -> new ParentStatusException("GET",
                "/v2/" + repository + "/manifests/" + digest, 404, "MANIFEST_UNKNOWN",
                "the parent no longer has it"));
            return blocking(() -> ManifestParser.parse(parent.bytes(), parent.mediaType(),
                digest.algorithm()));
          }).compose(manifest -> {
            Set<Digest> below = new java.util.HashSet<>(path);
            below.add(digest);
            return children(repository, manifest, below)
                .compose(v -> ensureBlobs(repository, manifest.blobs()))
                .compose(v -> blocking(() -> {
                  storage.putManifestTags(repository, manifest, tags, ChangeOrigin.SYNC);
                  counts.manifests.incrementAndGet();
                  return null;
                }));
          });
        }).mapEmpty();
  }

  private Future<Void> children(String repository, Manifest manifest, Set<Digest> path) {
    Future<Void> chain = Future.succeededFuture();
    for (Descriptor child : manifest.manifests()) {
      chain = chain.compose(v -> copyManifest(repository, child.digest(), List.of(), path));
    }
    return chain;
  }

  private Future<Void> ensureBlobs(String repository, List<Descriptor> needed) {
    List<Callable<Future<Void>>> tasks = new ArrayList<>();
    for (Descriptor blob : needed) {
      tasks.add(() -> ensureBlob(repository, blob.digest(), blob.size()));
    }
    return Bounded.all(tasks, PARALLEL_BLOBS);
  }

  /** @param size the descriptor's size: the download stops there */
  private Future<Void> ensureBlob(String repository, Digest digest, long size) {
    return blocking(() -> storage.blobSize(repository, digest).isPresent()
        || storage.linkExistingBlob(repository, digest)).compose(present -> {
          if (present) {
            counts.blobsLinked.incrementAndGet();
            return Future.succeededFuture();
          }
          Future<Void> running = downloading.get(digest);
          if (running != null) {
            // Another image is downloading it: wait, then link its copy.
            return running.compose(v -> blocking(() -> storage.linkExistingBlob(repository, digest)))
                .mapEmpty();
          }
          Future<Void> download = blobs.fetch(repository, repository, digest, size).map(result -> {
            (result.alreadyPresent() ? counts.blobsLinked : counts.blobsFetched).incrementAndGet();
            return (Void) null;
          });
          downloading.put(digest, download);
          return download.onComplete(done -> downloading.remove(digest, download));
        });
  }

  private Future<Void> copyReferrers(String repository, Digest subject, Set<Digest> walked) {
    String image = repository + "@" + subject;
    if (!referrersAsked.add(image)) {
      return Future.succeededFuture();
    }
    return listReferrers.list(repository, subject).onFailure(e -> referrersAsked.remove(image)).compose(found -> {
      found.ifPresent(listing -> counts.refused.addAll(listing.refused()));
      Future<Void> chain = Future.succeededFuture();
      for (Descriptor referrer : found.map(Listing::entries).orElse(List.of())) {
        if (!walked.add(referrer.digest())) {
          continue; // already copied in this walk: a cycle (or a repeat) at the parent
        }
        if (walked.size() > MAX_REFERRERS_PER_IMAGE + 1) {
          return Future.failedFuture(new ParentStatusException("GET", "/v2/" + repository + "/referrers/" + subject,
              200, null, "more than " + MAX_REFERRERS_PER_IMAGE + " referrers for one image; not copying more"));
        }
        chain = chain.compose(v -> copyManifest(repository, referrer.digest(), List.of(), Set.of())
            .onSuccess(x -> counts.referrers.incrementAndGet())
            // A signature of a signature is a referrer too.
            .compose(x -> copyReferrers(repository, referrer.digest(), walked)));
      }
      return chain;
    });
  }

  private <T> Future<T> blocking(Callable<T> task) {
    return worker.executeBlocking(task, false);
  }
}
