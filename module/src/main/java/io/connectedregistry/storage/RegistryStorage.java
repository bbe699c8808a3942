package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.Reference;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.Optional;

/**
 * What the HTTP API (and later sync) needs from storage. Every method blocks and must run on a
 * worker; failures the client can act on are {@link io.connectedregistry.oci.RegistryException}s,
 * everything else a {@link StorageException}. Repository names, tags and digests are validated by
 * the caller.
 */
public interface RegistryStorage extends AutoCloseable {

  // ---- blobs ----

  /** Size of a blob linked into {@code repository}, if it is. */
  Optional<Long> blobSize(String repository, Digest digest);

  /** Opens a linked blob for reading; the caller closes the channel. Throws BLOB_UNKNOWN. */
  OpenBlob openBlob(String repository, Digest digest);

  /** Unlinks a blob from one repository (the content goes when nothing links it: see GC). */
  boolean deleteBlob(String repository, Digest digest);

  /** Links a blob that {@code from} has into {@code to}; false when {@code from} lacks it. */
  boolean mountBlob(String to, String from, Digest digest);

  /**
   * Links a blob this store already holds (in any repository) into {@code repository}; false when
   * the store does not have it. For sync, which must never download a blob twice; clients use
   * {@link #mountBlob}, which names a source they are allowed to read.
   */
  boolean linkExistingBlob(String repository, Digest digest);

  /**
   * Size of a blob this store holds, in any repository: what a bundle import that left a blob out
   * (it was in an earlier bundle) checks before it links it.
   */
  Optional<Long> storedBlobSize(Digest digest);

  record OpenBlob(FileChannel channel, long size) {}

  // ---- uploads ----

  /** Throws INSUFFICIENT_STORAGE below the free-space floor. */
  UploadStatus startUpload(String repository);

  Optional<UploadStatus> uploadStatus(String repository, String uploadId);

  /** Exclusive access for one request; throws BLOB_UPLOAD_UNKNOWN or BLOB_UPLOAD_INVALID (busy). */
  UploadHandle openUpload(String repository, String uploadId);

  /**
   * Non-blocking, safe on an event loop: the upload's handle if its last request left it open
   * ({@link UploadHandle#park()}), taken like {@link #openUpload}; empty otherwise, and then
   * {@link #openUpload} on a worker decides.
   */
  Optional<UploadHandle> takeParkedUpload(String repository, String uploadId);

  /**
   * A read-only view of an upload's bytes while another party writes them (on-demand
   * pull-through serves a blob as it arrives). The channel stays readable after the upload is
   * committed or cancelled (the file is renamed or unlinked, not truncated).
   */
  java.nio.channels.FileChannel readUpload(String repository, String uploadId);

  /**
   * Verifies the digest, makes the blob durable and links it; the upload is gone afterwards. On a
   * digest mismatch (DIGEST_INVALID) nothing becomes visible and the upload stays as it was. Not
   * refused below the free-space floor: the bytes are already written.
   */
  long commitUpload(UploadHandle upload, Digest expected);

  /**
   * As {@link #commitUpload(UploadHandle, Digest)}, linking the blob into {@code repository}
   * rather than the upload's own: a bundle import stages its blobs before it knows which
   * repositories need them.
   */
  long commitUpload(UploadHandle upload, Digest expected, String repository);

  boolean cancelUpload(String repository, String uploadId);

  // ---- manifests, tags, referrers ----

  /**
   * Stores a parsed manifest, tagging it when {@code tag} is not null. Throws MANIFEST_BLOB_UNKNOWN,
   * or INSUFFICIENT_STORAGE below the free-space floor.
   */
  default void putManifest(String repository, Manifest manifest, String tag) {
    putManifest(repository, manifest, tag, ChangeOrigin.CLIENT);
  }

  /** As {@link #putManifest(String, Manifest, String)}, recording the changes as made by {@code origin}. */
  void putManifest(String repository, Manifest manifest, String tag, ChangeOrigin origin);

  /**
   * Stores a manifest and points every one of {@code tags} (none: untagged) at it, all in one
   * transaction; the same checks as {@link #putManifest(String, Manifest, String, ChangeOrigin)}.
   */
  void putManifestTags(String repository, Manifest manifest, List<String> tags, ChangeOrigin origin);

  Optional<StoredManifest> manifest(String repository, Reference reference);

  /**
   * A number that moves, after the commit, with every write that may change a manifest or tag of
   * {@code repository} (push, delete, sync, bundle import: they all write through
   * {@link #putManifestTags} and {@link #deleteManifest(String, Reference, ChangeOrigin)}). Read it
   * before reading a manifest: what was read may be cached as long as the number has not moved.
   * Never blocks, so it may be called on an event loop. It may also move for other repositories.
   */
  long manifestGeneration(String repository);

  /** By digest: the manifest and its tags. By tag: the tag only. False when there was nothing. */
  default boolean deleteManifest(String repository, Reference reference) {
    return deleteManifest(repository, reference, ChangeOrigin.CLIENT);
  }

  /** As {@link #deleteManifest(String, Reference)}, recording the changes as made by {@code origin}. */
  boolean deleteManifest(String repository, Reference reference, ChangeOrigin origin);

  /** Tags after {@code last} in lexical order; empty when the repository is unknown. */
  Optional<List<String>> tags(String repository, String last, int limit);

  /**
   * Every tag of {@code repository} with the digest it points at, in one query (sync compares a
   * parent's thousands of tags with it); empty when there is no such repository.
   */
  java.util.Map<String, Digest> tagDigests(String repository);

  /** Repositories holding at least one manifest, after {@code last} in lexical order. */
  List<String> repositories(String last, int limit);

  List<ReferrerDescriptor> referrers(String repository, Digest subject, String artifactType);

  /** The change log after {@code sequence}, oldest first. */
  List<Change> changesAfter(long sequence, int limit);

  /**
   * This store's id (32 hex digits, random, fixed for the life of {@code metadata.db}): the change
   * log its sequence numbers belong to.
   */
  String storeId();

  /** The sequence number of the newest change; 0 when there is none. */
  long lastChangeSequence();

  /** The newest change (set or delete) of one tag, if it ever changed. */
  Optional<Change> latestTagChange(String repository, String tag);

  /**
   * Client changes after {@code sequence} (what a ReadWrite registry still has to push up), and how
   * many of them were made before {@code madeBefore} (epoch millis).
   */
  ClientBacklog clientChangesAfter(long sequence, long madeBefore);

  record ClientBacklog(long changes, long madeBefore) {}

  /**
   * For the status page: the repositories holding a manifest that {@code visible} accepts, the
   * most recently changed first (a tag set or moved, a manifest stored; deletes do not count), at
   * most {@code limit} of them, and how many more {@code visible} accepts.
   */
  RepositoryPage repositoriesByLastChange(java.util.function.Predicate<String> visible, int limit);

  /** @param lastChange epoch millis of the newest tag update or manifest */
  record RepositorySummary(String name, long tags, long lastChange) {}

  record RepositoryPage(List<RepositorySummary> first, long more) {}

  // ---- housekeeping ----

  GcReport collectGarbage();

  /** Deletes uploads untouched for longer than the upload expiry; returns how many. */
  int expireUploads();

  /**
   * Throws when the store cannot take writes (disk gone, database closed). A full disk is not
   * such a failure: pulls go on, and writes answer 507 by themselves.
   */
  void checkWritable();

  /** Bytes, repositories and blobs held, from the metadata (for status reports). */
  StorageUsage usage();

  /** Free space on the data folder's file system and its floor ({@code storage.minFreeBytes}). */
  DiskSpace diskSpace();

  @Override
  void close();
}
