package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import java.io.IOException;
import java.sql.Connection;
import java.util.List;

/**
 * Stores manifests and their tags, several at once (a group commit, as {@link BlobCommits} does
 * for blobs). The callers that arrive while another write holds the metadata write lock are taken
 * together by whichever of them gets the lock next: each manifest is checked and written in turn
 * (its references checked and its tags set in the same transaction as itself, as before), then
 * one SQLite commit (one fsync) makes them all durable. No caller
 * returns before the commit that holds its manifest, and a kill -9 before it leaves none of the
 * group, none of which was acknowledged: the states are the same as one manifest at a time.
 *
 * <p>A sync cycle stores dozens of images' manifests at once on the storage workers; one
 * transaction each, they waited in line behind each other's fsync and the blob commits'.
 *
 * <p>A manifest whose references are missing is an outcome, not a failure: nothing of it is
 * written and the others go on. An error while writing any of them (an SQL or disk error) rolls
 * the whole transaction back and fails every manifest of the group, as it fails the commit:
 * nothing of it is committed, and each caller gets the error (translated as any write's). The
 * queue and the hand-off between callers are {@link GroupCommit}'s.
 */
final class ManifestCommits {
  /** Manifests one commit takes at most: the write lock it holds stays short for a client's push. */
  static final int MAX_PER_COMMIT = 64;

  /** One manifest to store. */
  static final class Pending {
    final String repository;
    final Manifest manifest;
    final List<String> tags;
    final ChangeOrigin origin;

    Pending(String repository, Manifest manifest, List<String> tags, ChangeOrigin origin) {
      this.repository = repository;
      this.manifest = manifest;
      this.tags = List.copyOf(tags);
      this.origin = origin;
    }
  }

  private final MetadataStore metadata;
  private final GroupCommit<Pending, List<Digest>> group;

  ManifestCommits(MetadataStore metadata) {
    this.metadata = metadata;
    this.group = new GroupCommit<>(metadata, MAX_PER_COMMIT, this::apply);
  }

  /**
   * Stores {@code manifest} (alone or with others waiting at the same time) and returns once it is
   * committed: the references missing from the repository (then nothing of it was stored), or
   * empty. Throws what failed it. Blocking: storage workers only.
   */
  List<Digest> commit(Pending manifest) {
    try {
      return group.commit(manifest);
    } catch (IOException e) {
      throw new StorageException("manifest commit failed: " + e.getMessage(), e); // no file I/O here
    }
  }

  /** Manifests waiting to be committed: what the next commit takes. */
  int waiting() {
    return group.waiting();
  }

  /** Inside the write transaction: each manifest's check and writes, in the order they came. */
  private void apply(Connection c, List<GroupCommit.Member<Pending, List<Digest>>> members) throws Exception {
    for (GroupCommit.Member<Pending, List<Digest>> m : members) {
      Pending p = m.item;
      m.succeed(metadata.putManifestTags(c, p.repository, p.manifest, p.tags, p.origin));
    }
  }
}
