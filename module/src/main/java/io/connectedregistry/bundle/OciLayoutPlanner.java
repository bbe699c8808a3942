package io.connectedregistry.bundle;

import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.storage.RegistryStorage;
import java.util.Map;
import java.util.Set;

/**
 * An OCI image layout: this project's bundles and {@code skopeo copy ... oci-archive:} output (and
 * {@code docker save} of Docker 25 and later, which writes one). The repository of each
 * {@code index.json} entry is its {@code io.connectedregistry.repository} annotation; else the
 * repository part of its {@code org.opencontainers.image.ref.name} ({@code app:v1}) or of its
 * {@code io.containerd.image.name} (host dropped); else {@code --repository}. {@code --repository}
 * overrides all but the first. The tag is what {@code ref.name} names after the repository (or all
 * of it when it is only a tag); an entry without one is imported untagged.
 */
final class OciLayoutPlanner {
  static final String REPOSITORY = "io.connectedregistry.repository";
  static final String REF_NAME = "org.opencontainers.image.ref.name";
  static final String CONTAINERD_NAME = "io.containerd.image.name";

  private OciLayoutPlanner() {}

  static ImportPlan plan(StagedArchive staged, RegistryStorage storage, String repositoryOption) {
    ImportMetadata metadata = staged.hasDocument(BundleMetadata.ENTRY)
        ? ImportMetadata.parse(staged.document(BundleMetadata.ENTRY)) : null;
    Manifest index;
    try {
      index = ManifestParser.parse(staged.document("index.json"), MediaTypes.OCI_INDEX, "sha256");
    } catch (RegistryException e) {
      throw StagedArchive.invalid("index.json is not an OCI image index: " + e.detail());
    }
    ImportPlan plan = new ImportPlan(staged, storage, metadata == null ? Set.of() : metadata.omittedBlobs());
    plan.metadata = metadata;
    int i = 0;
    for (Descriptor descriptor : index.manifests()) {
      i++;
      Map<String, String> annotations = descriptor.annotations();
      String refName = annotations.get(REF_NAME);
      String where = "index.json entry " + i + (refName == null ? "" : " ('" + refName + "')");
      String repository = annotations.get(REPOSITORY);
      String tag = null;
      if (repository != null) {
        if (!ImageNames.validRepository(repository)) {
          throw StagedArchive.invalid(where + ": '" + repository + "' is not a repository name");
        }
        if (refName != null) {
          if (!refName.startsWith(repository + ":") || !ImageNames.validTag(refName.substring(repository.length() + 1))) {
            throw StagedArchive.invalid(where + ": ref.name must be '" + repository + ":<tag>'");
          }
          tag = refName.substring(repository.length() + 1);
        }
      } else {
        ImageNames.Name named = null;
        if (refName != null) {
          if (ImageNames.validTag(refName)) {
            tag = refName;
          } else {
            named = ImageNames.parse(refName);
            if (named == null || named.tag() == null) {
              throw StagedArchive.invalid(where + ": ref.name '" + refName + "' is neither a tag nor repository:tag");
            }
            tag = named.tag();
          }
        }
        if (named == null && annotations.containsKey(CONTAINERD_NAME)) {
          named = ImageNames.parse(annotations.get(CONTAINERD_NAME));
        }
        repository = repositoryOption != null ? repositoryOption : named == null ? null : named.repository();
        if (repository == null) {
          throw StagedArchive.invalid(where + " does not say which repository it belongs to (its ref.name"
              + " is only a tag): give the target repository with --repository R (API: ?repository=R)");
        }
      }
      plan.addImage(repository, tag, descriptor, where);
    }
    if (metadata != null) {
      plan.deletedTags.addAll(metadata.deletedTags());
      plan.deletedManifests.addAll(metadata.deletedManifests());
    }
    plan.requireComplete();
    return plan;
  }
}
