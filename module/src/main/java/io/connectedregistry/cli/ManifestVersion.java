package io.connectedregistry.cli;

import picocli.CommandLine.IVersionProvider;

/**
 * The registry's version: {@code Implementation-Version} in the jar's manifest, which the build
 * takes from the pom, so there is no second copy of the number to forget. Classes run outside the
 * jar (tests, an IDE) have no manifest and report {@value #UNKNOWN}.
 */
public final class ManifestVersion implements IVersionProvider {
  static final String UNKNOWN = "dev";

  /** The version, or {@value #UNKNOWN} when not running from the built jar. */
  public static String get() {
    String version = ManifestVersion.class.getPackage().getImplementationVersion();
    return version == null || version.isBlank() ? UNKNOWN : version;
  }

  /** For picocli's {@code --version}: the version alone on one line. */
  @Override
  public String[] getVersion() {
    return new String[] {get()};
  }
}
