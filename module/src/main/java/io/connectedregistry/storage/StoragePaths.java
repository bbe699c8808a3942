package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import java.nio.file.Path;

/**
 * Every path under the data folder comes from here. The layout:
 *
 * <pre>
 * DATA/
 *   metadata.db (+ -wal, -shm)   SQLite: repositories, tags, manifests, links, change log
 *   auth.db (+ -wal, -shm)       SQLite: tokens, scope maps, password hashes (auth.AuthStore)
 *   token-signing.key            HS256 key of the Bearer tokens (auth.TokenService)
 *   sync-state.json, sync-status.json   connected registry: cursor, synced tags, status (sync)
 *   blobs/sha256/ab/abcdef...    committed blobs, content-addressed, immutable, fsynced (the 256
 *                                folders 00..ff exist from the store's creation on)
 *   blobs/sha512/..              (same for sha512)
 *   uploads/UUID/data            an upload in progress: bytes received so far
 *   uploads/UUID/repository      the repository it was started in (and its start time = mtime)
 *   trash/                       blobs the garbage collector is removing (restored or purged on open)
 *   space-reserve                a few MiB the registry gives back when the disk is full (DiskSpace)
 *   .lock                        held by the process that owns the store
 * </pre>
 *
 * A blob file is visible to clients only once the metadata store has a row for it and a link from
 * the repository; a file without a row (crash between rename and commit) is an orphan that the
 * garbage collector deletes.
 */
public final class StoragePaths {
  private final Path root;

  public StoragePaths(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  public Path metadataDatabase() {
    return root.resolve("metadata.db");
  }

  public Path blobsRoot() {
    return root.resolve("blobs");
  }

  public Path blob(Digest digest) {
    return blobsRoot().resolve(digest.algorithm()).resolve(digest.hex().substring(0, 2)).resolve(digest.hex());
  }

  /**
   * The 256 folders a sha256 blob can go into ({@code blobs/sha256/00} to {@code ff}), which the
   * store keeps from its creation on: a blob commit then creates no folder under the write lock.
   */
  java.util.List<Path> sha256Shards() {
    Path sha256 = blobsRoot().resolve("sha256");
    java.util.List<Path> shards = new java.util.ArrayList<>(256);
    // HexFormat, not String.format: 256 format strings parsed cost ~30 ms of every start (interpreted).
    java.util.HexFormat hex = java.util.HexFormat.of();
    for (int i = 0; i < 256; i++) {
      shards.add(sha256.resolve(hex.toHexDigits((byte) i)));
    }
    return shards;
  }

  public Path uploadsRoot() {
    return root.resolve("uploads");
  }

  public Path upload(String uploadId) {
    return uploadsRoot().resolve(uploadId);
  }

  public Path uploadData(String uploadId) {
    return upload(uploadId).resolve("data");
  }

  public Path uploadRepository(String uploadId) {
    return upload(uploadId).resolve("repository");
  }

  public Path trash() {
    return root.resolve("trash");
  }

  public Path spaceReserve() {
    return root.resolve("space-reserve");
  }

  public Path lockFile() {
    return root.resolve(".lock");
  }
}
