package io.connectedregistry.bundle;

import io.connectedregistry.bundle.BundleMetadata.DeletedManifest;
import io.connectedregistry.bundle.BundleMetadata.DeletedTag;
import io.connectedregistry.bundle.ExportPlan.BlobItem;
import io.connectedregistry.bundle.ExportPlan.IndexEntry;
import io.connectedregistry.bundle.ExportPlan.ManifestItem;
import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.storage.StoreReader.History;
import io.connectedregistry.storage.StoreReader.Snapshot;
import io.connectedregistry.storage.StoredManifest;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides an export's contents inside one read snapshot of the store (BUNDLE-FORMAT.md): the
 * cursor and the contents then describe the same commit, whatever the registry writes meanwhile.
 */
final class ExportPlanner {
  private final Snapshot store;
  private final String dataFolder;
  private final Map<Digest, Manifest> parsed = new HashMap<>();
  private final LinkedHashMap<Digest, ManifestItem> manifests = new LinkedHashMap<>();
  private final LinkedHashMap<Digest, Long> blobs = new LinkedHashMap<>();
  private final List<IndexEntry> index = new ArrayList<>();

  ExportPlanner(Snapshot store, String dataFolder) {
    this.store = store;
    this.dataFolder = dataFolder;
  }

  ExportPlan plan(List<String> repositories, Since since, Instant now) throws SQLException {
    String storeId = store.storeId();
    long head = store.head();
    if (since != null) {
      if (since.store() != null && !since.store().equals(storeId)) {
        throw BundleException.request("--since: that bundle was exported from store " + since.store() + ", and "
            + dataFolder + " is store " + storeId + "; a cursor counts only in the change log of its own store");
      }
      if (since.cursor() > head) {
        throw BundleException.request("--since " + since.cursor() + " is ahead of this store's change log (its"
            + " newest change is " + head + "): it comes from another registry");
      }
    }
    for (String repository : repositories) {
      if (!store.repositoryExists(repository)) {
        throw BundleException.request("repository " + repository + " does not exist in " + dataFolder);
      }
    }
    List<DeletedTag> deletedTags = new ArrayList<>();
    List<DeletedManifest> deletedManifests = new ArrayList<>();
    for (String repository : repositories) {
      if (since == null || !since.covered(repository)) {
        addRepository(repository); // new to the target: all of it, not only what changed
      } else {
        addChanges(repository, since.cursor(), deletedTags, deletedManifests);
      }
    }
    List<String> omitted = since == null ? List.of() : omitWhatTheTargetHas(repositories, since);
    BundleMetadata metadata = new BundleMetadata(BundleMetadata.VERSION, storeId, head,
        since == null ? null : since.cursor(), repositories, deletedTags, deletedManifests, omitted,
        now.truncatedTo(ChronoUnit.SECONDS).toString());
    List<BlobItem> blobItems = new ArrayList<>();
    blobs.forEach((digest, size) -> blobItems.add(new BlobItem(digest, size)));
    return new ExportPlan(metadata, List.copyOf(index), List.copyOf(manifests.values()), blobItems, imageEnds());
  }

  /** A full bundle's part: every tag with its whole image, and the referrers of what it holds. */
  private void addRepository(String repository) throws SQLException {
    Set<Digest> included = new HashSet<>();
    for (Map.Entry<String, Digest> tag : store.tags(repository).entrySet()) {
      include(repository, tag.getValue(), included, new HashSet<>());
      index.add(entry(repository, tag.getKey(), tag.getValue()));
    }
    addReferrers(repository, included);
  }

  /**
   * An incremental part: tags set or moved after {@code cursor} (their image now), tags and
   * manifests deleted since (if still gone), manifests put since that no tag points at.
   */
  private void addChanges(String repository, long cursor, List<DeletedTag> deletedTags,
      List<DeletedManifest> deletedManifests) throws SQLException {
    TreeMap<String, Digest> tags = store.tags(repository);
    Set<String> setTags = new TreeSet<>();
    Set<String> removedTags = new TreeSet<>();
    Set<Digest> put = new LinkedHashSet<>();
    Set<Digest> removedManifests = new LinkedHashSet<>();
    store.changesAfter(repository, cursor, change -> {
      switch (change.action()) {
        case "tag_set" -> setTags.add(change.tag());
        case "tag_deleted" -> removedTags.add(change.tag());
        case "manifest_put" -> put.add(Digest.parse(change.digest()));
        case "manifest_deleted" -> removedManifests.add(Digest.parse(change.digest()));
        default -> { } // a newer release's action: nothing this format can carry
      }
    });
    Set<Digest> included = new HashSet<>();
    Set<Digest> children = new HashSet<>();
    for (String tag : setTags) {
      Digest digest = tags.get(tag);
      if (digest != null) {
        include(repository, digest, included, children);
        index.add(entry(repository, tag, digest));
      }
    }
    List<Digest> untagged = new ArrayList<>();
    for (Digest digest : put) {
      if (!included.contains(digest) && store.manifest(repository, digest).isPresent()) {
        include(repository, digest, included, children);
        untagged.add(digest);
      }
    }
    for (Digest digest : untagged) {
      if (!children.contains(digest) && !tags.containsValue(digest)) { // else reached through its index or tag
        index.add(entry(repository, null, digest));
      }
    }
    addReferrers(repository, included);
    for (String tag : removedTags) {
      if (!tags.containsKey(tag)) {
        deletedTags.add(new DeletedTag(repository, tag));
      }
    }
    for (Digest digest : removedManifests) {
      if (store.manifest(repository, digest).isEmpty()) {
        deletedManifests.add(new DeletedManifest(repository, digest.toString()));
      }
    }
  }

  /** Referrers of what is included (and theirs), each an untagged entry with its content. */
  private void addReferrers(String repository, Set<Digest> included) throws SQLException {
    Deque<Digest> pending = new ArrayDeque<>(included);
    while (!pending.isEmpty()) {
      for (Digest referrer : store.referrers(repository, pending.poll())) {
        if (!included.contains(referrer)) {
          include(repository, referrer, included, new HashSet<>());
          index.add(entry(repository, null, referrer));
          pending.add(referrer);
        }
      }
    }
  }

  /** Adds a manifest, then its child manifests, then its blobs (each once). */
  private void include(String repository, Digest digest, Set<Digest> included, Set<Digest> children)
      throws SQLException {
    if (!included.add(digest)) {
      return;
    }
    Manifest manifest = manifest(repository, digest);
    if (manifest == null) {
      throw BundleException.failure("manifest " + digest + " of " + repository + " is referenced but not in the"
          + " store (deleted while exporting?); export again", null);
    }
    manifests.putIfAbsent(digest, new ManifestItem(digest, manifest.mediaType(), manifest.bytes()));
    for (Descriptor child : manifest.manifests()) {
      children.add(child.digest());
      include(repository, child.digest(), included, children);
    }
    for (Descriptor blob : manifest.blobs()) {
      if (!blobs.containsKey(blob.digest())) {
        OptionalLong size = store.blobSize(blob.digest());
        if (size.isEmpty()) {
          throw BundleException.failure("blob " + blob.digest() + " of " + repository + "@" + digest
              + " is not in the store (removed by garbage collection?)", null);
        }
        blobs.put(blob.digest(), size.getAsLong());
      }
    }
  }

  /** The stored manifest, parsed (null when the repository does not hold it). */
  private Manifest manifest(String repository, Digest digest) throws SQLException {
    Manifest known = parsed.get(digest);
    if (known != null) {
      return known;
    }
    StoredManifest stored = store.manifest(repository, digest).orElse(null);
    if (stored == null) {
      return null;
    }
    try {
      Manifest manifest = ManifestParser.parse(stored.bytes(), stored.mediaType(), digest.algorithm());
      parsed.put(digest, manifest);
      return manifest;
    } catch (RegistryException e) {
      throw BundleException.failure("manifest " + digest + " of " + repository + " in the store is unreadable: "
          + e.getMessage(), e);
    }
  }

  private IndexEntry entry(String repository, String tag, Digest digest) {
    ManifestItem item = manifests.get(digest);
    return new IndexEntry(repository, tag, digest, item.mediaType(), item.bytes().length);
  }

  /**
   * Leaves out the blobs the target has: those of the images tagged at the cursor in the
   * repositories the target received (for a cursor read from an earlier bundle, the ones that
   * bundle covered), and of their referrers that existed then. Stricter than "any manifest that
   * existed at the cursor": an untagged manifest older than the target's first bundle never
   * reached it, so its blobs are not assumed there.
   */
  private List<String> omitWhatTheTargetHas(List<String> repositories, Since since) throws SQLException {
    Set<Digest> targetHas = new HashSet<>();
    for (String repository : repositories) {
      if (!since.covered(repository)) {
        continue;
      }
      History then = store.historyAt(repository, since.cursor());
      Set<Digest> visited = new HashSet<>();
      for (Digest digest : new TreeSet<>(then.tags().values())) {
        collectBlobs(repository, digest, then, visited, targetHas);
      }
    }
    List<String> omitted = new ArrayList<>();
    for (Digest digest : new ArrayList<>(blobs.keySet())) {
      if (targetHas.contains(digest)) {
        blobs.remove(digest);
        omitted.add(digest.toString());
      }
    }
    omitted.sort(null);
    return omitted;
  }

  private void collectBlobs(String repository, Digest digest, History then, Set<Digest> visited, Set<Digest> into)
      throws SQLException {
    if (!visited.add(digest)) {
      return;
    }
    Manifest manifest = manifest(repository, digest);
    if (manifest == null) {
      return; // deleted since the cursor: what it held is not known any more, so nothing is assumed
    }
    for (Descriptor blob : manifest.blobs()) {
      into.add(blob.digest());
    }
    for (Descriptor child : manifest.manifests()) {
      collectBlobs(repository, child.digest(), then, visited, into);
    }
    for (Digest referrer : store.referrers(repository, digest)) {
      if (then.manifests().contains(referrer)) {
        collectBlobs(repository, referrer, then, visited, into);
      }
    }
  }

  /** For each tagged entry, the stream position after which its image is complete. */
  private long[] imageEnds() {
    Map<Digest, Long> position = new HashMap<>();
    long next = 0;
    for (Digest digest : manifests.keySet()) {
      position.put(digest, next++);
    }
    for (Digest digest : blobs.keySet()) {
      position.put(digest, next++);
    }
    long[] ends = index.stream().filter(e -> e.tag() != null)
        .mapToLong(e -> lastPosition(e.digest(), position, new HashSet<>())).toArray();
    Arrays.sort(ends);
    return ends;
  }

  private long lastPosition(Digest digest, Map<Digest, Long> position, Set<Digest> seen) {
    if (!seen.add(digest)) {
      return -1;
    }
    long last = position.getOrDefault(digest, -1L);
    Manifest manifest = parsed.get(digest);
    if (manifest != null) {
      for (Descriptor child : manifest.manifests()) {
        last = Math.max(last, lastPosition(child.digest(), position, seen));
      }
      for (Descriptor blob : manifest.blobs()) {
        last = Math.max(last, position.getOrDefault(blob.digest(), -1L));
      }
    }
    return last;
  }
}
