package io.connectedregistry.bundle;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.oci.Tag;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code connected-registry-bundle.json} as the importer uses it: {@link BundleMetadata} with every
 * repository name, tag and digest checked (a bundle may come from anywhere) and typed.
 */
record ImportMetadata(int bundleVersion, String store, long cursor, Long since, Set<String> repositories,
    List<TagRef> deletedTags, List<ManifestRef> deletedManifests, Set<Digest> omittedBlobs) {

  record TagRef(String repository, String tag) {}

  record ManifestRef(String repository, Digest digest) {}

  /** The exporter's own parser (version and store checked), then every name and digest checked here. */
  static ImportMetadata parse(byte[] bytes) {
    BundleMetadata m;
    try {
      m = BundleMetadata.parse(bytes);
    } catch (BundleException e) {
      throw StagedArchive.invalid(e.getMessage());
    }
    Set<String> repositories = new LinkedHashSet<>();
    for (String r : m.repositories()) {
      repositories.add(repository(r));
    }
    List<TagRef> deletedTags = new ArrayList<>();
    for (BundleMetadata.DeletedTag t : m.deletedTags()) {
      try {
        Tag.validate(t.tag());
      } catch (RuntimeException e) {
        throw bad("deletedTags: '" + t.tag() + "' is not a tag");
      }
      deletedTags.add(new TagRef(repository(t.repository()), t.tag()));
    }
    List<ManifestRef> deletedManifests = new ArrayList<>();
    for (BundleMetadata.DeletedManifest d : m.deletedManifests()) {
      deletedManifests.add(new ManifestRef(repository(d.repository()), digest(d.digest(), "deletedManifests")));
    }
    Set<Digest> omitted = new LinkedHashSet<>();
    for (String d : m.omittedBlobs()) {
      omitted.add(digest(d, "omittedBlobs"));
    }
    if (m.cursor() < 0 || (m.since() != null && m.since() < 0)) {
      throw bad("cursor and since must be ≥ 0");
    }
    return new ImportMetadata(m.bundleVersion(), m.store(), m.cursor(), m.since(), Set.copyOf(repositories),
        List.copyOf(deletedTags), List.copyOf(deletedManifests), Set.copyOf(omitted));
  }

  private static String repository(String name) {
    try {
      return RepositoryName.of(name).value();
    } catch (RuntimeException e) {
      throw bad("'" + name + "' is not a repository name");
    }
  }

  private static Digest digest(String text, String field) {
    try {
      return Digest.parse(text);
    } catch (RuntimeException e) {
      throw bad(field + ": '" + text + "' is not a digest");
    }
  }

  private static RuntimeException bad(String detail) {
    return StagedArchive.invalid(BundleMetadata.ENTRY + ": " + detail);
  }
}
