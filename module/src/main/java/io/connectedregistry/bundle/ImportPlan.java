package io.connectedregistry.bundle;

import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.storage.RegistryStorage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What an archive will change, checked whole before anything is: per repository the manifests to
 * put (children before the indexes and referrers that name them) and the tags to set; which
 * repositories need which blob; and the deletes. Every manifest was read from the staged bytes
 * and its digest and size checked against the descriptor that names it; every blob it needs is
 * staged (with the size the manifest says) or already held by this store.
 */
final class ImportPlan {
  /** Index nesting deeper than this is refused (a cycle cannot exist: digests, but a chain can be long). */
  private static final int MAX_DEPTH = 8;

  final Map<String, LinkedHashMap<Digest, Manifest>> manifests = new TreeMap<>();
  final Map<String, Map<String, Digest>> tags = new TreeMap<>();
  /** Blob → the repositories that need it linked. */
  final Map<Digest, Set<String>> blobs = new LinkedHashMap<>();
  final List<ImportMetadata.TagRef> deletedTags = new ArrayList<>();
  final List<ImportMetadata.ManifestRef> deletedManifests = new ArrayList<>();
  /** Null for another tool's archive. */
  ImportMetadata metadata;
  int images;

  private final StagedArchive staged;
  private final RegistryStorage storage;
  private final Set<Digest> omitted;
  private final Map<Digest, Manifest> parsed = new HashMap<>();
  /** Manifest bytes held in memory until the commit; bounded so a hostile bundle cannot fill the heap. */
  private long manifestBytes;
  static final long MAX_MANIFEST_BYTES = 32L * 1024 * 1024;
  /** Blobs neither staged nor held here: digest → who needs it (for the error). */
  private final Map<Digest, String> missing = new TreeMap<>();

  ImportPlan(StagedArchive staged, RegistryStorage storage, Set<Digest> omitted) {
    this.staged = staged;
    this.storage = storage;
    this.omitted = omitted;
  }

  /** Adds an image (manifest or index) found in the archive; tags it when {@code tag} is not null. */
  void addImage(String repository, String tag, Descriptor descriptor, String where) {
    images++;
    Manifest top = manifestOf(repository, descriptor, where, 0);
    if (tag != null) {
      Digest before = tags.computeIfAbsent(repository, r -> new TreeMap<>()).putIfAbsent(tag, top.digest());
      if (before != null && !before.equals(top.digest())) {
        throw StagedArchive.invalid(repository + ":" + tag + " is given two images (" + before + " and "
            + top.digest() + ")");
      }
    }
  }

  /** Adds a manifest built from the archive (docker save), with its blobs staged. */
  void addBuilt(String repository, String tag, Manifest manifest) {
    images++;
    for (Descriptor blob : manifest.blobs()) {
      needBlob(repository, blob, repository + ":" + tag);
    }
    manifests.computeIfAbsent(repository, r -> new LinkedHashMap<>()).putIfAbsent(manifest.digest(), manifest);
    if (tag != null) {
      tags.computeIfAbsent(repository, r -> new TreeMap<>()).put(tag, manifest.digest());
    }
  }

  private Manifest manifestOf(String repository, Descriptor descriptor, String where, int depth) {
    if (depth > MAX_DEPTH) {
      throw StagedArchive.invalid(where + ": indexes nested deeper than " + MAX_DEPTH);
    }
    Digest digest = descriptor.digest();
    StagedArchive.StagedFile file = staged.blob(digest);
    LinkedHashMap<Digest, Manifest> inRepository = manifests.computeIfAbsent(repository, r -> new LinkedHashMap<>());
    if (inRepository.containsKey(digest)) {
      return inRepository.get(digest);
    }
    if (file == null) {
      // A child an earlier bundle brought: fine if this repository has it already.
      if (depth > 0 && storage.manifest(repository, new Reference(null, digest)).isPresent()) {
        return null;
      }
      throw ErrorCode.MANIFEST_BLOB_UNKNOWN.exception(where + " names manifest " + digest
          + ", which is neither in the archive (blobs/sha256/" + digest.hex() + ") nor in " + repository
          + " here" + (omitted.isEmpty() ? "" : ": import the earlier bundle first"));
    }
    checkSize(descriptor, file, where);
    Manifest manifest = parsed.get(digest);
    if (manifest == null) {
      byte[] bytes = staged.read(file, StagedArchive.MAX_DOCUMENT_BYTES);
      manifestBytes += bytes.length;
      if (manifestBytes > MAX_MANIFEST_BYTES) {
        throw StagedArchive.invalid("the archive's manifests hold more than " + MAX_MANIFEST_BYTES / (1024 * 1024)
            + " MiB in all: split it into several bundles");
      }
      try {
        manifest = ManifestParser.parse(bytes, descriptor.mediaType(), "sha256");
      } catch (RegistryException e) {
        throw ErrorCode.MANIFEST_INVALID.exception(where + ": manifest " + digest + " is invalid: " + e.detail());
      }
      parsed.put(digest, manifest);
    }
    String path = where + " > " + digest;
    for (Descriptor child : manifest.manifests()) {
      manifestOf(repository, child, path, depth + 1);
    }
    for (Descriptor blob : manifest.blobs()) {
      needBlob(repository, blob, path);
    }
    inRepository.put(digest, manifest); // after its children: the order they are put in
    return manifest;
  }

  private void needBlob(String repository, Descriptor blob, String where) {
    StagedArchive.StagedFile file = staged.blob(blob.digest());
    if (file != null) {
      checkSize(blob, file, where);
    } else {
      var held = storage.storedBlobSize(blob.digest());
      if (held.isEmpty()) {
        missing.putIfAbsent(blob.digest(), where);
        return;
      }
      if (held.get() != blob.size()) {
        throw ErrorCode.SIZE_INVALID.exception(where + " gives blob " + blob.digest() + " the size "
            + blob.size() + ", but it is " + held.get() + " bytes");
      }
    }
    blobs.computeIfAbsent(blob.digest(), d -> new TreeSet<>()).add(repository);
  }

  private static void checkSize(Descriptor descriptor, StagedArchive.StagedFile file, String where) {
    if (descriptor.size() != file.size()) {
      throw ErrorCode.SIZE_INVALID.exception(where + " gives " + descriptor.digest() + " the size "
          + descriptor.size() + ", but " + file.path() + " is " + file.size() + " bytes");
    }
  }

  /** Throws, naming them, when blobs are neither in the archive nor here. */
  void requireComplete() {
    if (missing.isEmpty()) {
      return;
    }
    Set<Digest> leftOut = new LinkedHashSet<>(missing.keySet());
    leftOut.retainAll(omitted);
    StringBuilder detail = new StringBuilder();
    if (!leftOut.isEmpty()) {
      detail.append("the bundle left out ").append(leftOut.size()).append(" blob(s) this registry does not"
          + " have (it continues an earlier bundle: import the earlier bundle first): ")
          .append(describe(leftOut));
    } else {
      detail.append(missing.size()).append(" blob(s) are neither in the archive nor in this registry: ");
      List<String> named = new ArrayList<>();
      missing.entrySet().stream().limit(10).forEach(e -> named.add(e.getKey() + " (named by " + e.getValue() + ")"));
      detail.append(String.join(", ", named)).append(missing.size() > 10 ? ", ..." : "");
    }
    throw ErrorCode.MANIFEST_BLOB_UNKNOWN.exception(detail + "; nothing was imported");
  }

  private static String describe(Set<Digest> digests) {
    List<String> named = digests.stream().limit(10).map(Digest::toString).toList();
    return String.join(", ", named) + (digests.size() > 10 ? ", ..." : "");
  }
}
