package io.connectedregistry.sync;

import io.vertx.core.Future;

/**
 * A blob that on-demand pull-through is bringing into a repository: the download to follow as it
 * is written, and when the blob is stored in that repository. The two differ when the download
 * was started for another repository (and the parent confirmed this one holds the blob too): the
 * blob is linked here only after that download is committed.
 *
 * @param transfer the download in progress (its upload may belong to another repository)
 * @param stored completes when the blob can be served from this repository; fails with the download
 */
public record FollowedBlob(BlobFetcher.Transfer transfer, Future<Void> stored) {}
