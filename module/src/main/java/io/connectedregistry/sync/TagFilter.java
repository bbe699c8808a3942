package io.connectedregistry.sync;

import io.connectedregistry.config.RegistryConfig.TagFilterConfig;
import java.util.regex.Pattern;
import org.semver4j.RangesList;
import org.semver4j.RangesListFactory;
import org.semver4j.Semver;

/**
 * Which of a repository's tags are synchronised: a tag must match {@code include} (the whole tag),
 * must not match {@code exclude} (the whole tag), and with a {@code semver} range must be a version
 * in that range. Each part is optional.
 *
 * <p>A tag is a version when it is a full semantic version ({@code 1.4.2}, {@code v1.4.2-rc.1}) or
 * a short one ({@code 1}, {@code v1.2}, read as {@code 1.0.0}, {@code 1.2.0}). Anything else, such
 * as {@code latest}, {@code alpine-3.18} or the {@code sha256-<hex>.sig} tags of signatures, is not
 * a version and is rejected by a range. semver4j's own {@code coerce} is not used on every tag
 * because it finds a version inside any text ({@code sha256-...} becomes 256.0.0). As in npm, a
 * range excludes pre-releases unless it names a pre-release of the same version itself.
 */
public final class TagFilter {
  public static final TagFilter ALL = new TagFilter(TagFilterConfig.ALL);

  private static final Pattern SHORT_VERSION = Pattern.compile("[vV]?\\d+(\\.\\d+)?");

  private final Pattern include;
  private final Pattern exclude;
  private final RangesList range;

  public TagFilter(TagFilterConfig config) {
    this.include = config.include() == null ? null : Pattern.compile(config.include());
    this.exclude = config.exclude() == null ? null : Pattern.compile(config.exclude());
    this.range = config.semver() == null ? null : range(config.semver());
  }

  public boolean accepts(String tag) {
    if (include != null && !include.matcher(tag).matches()) {
      return false;
    }
    if (exclude != null && exclude.matcher(tag).matches()) {
      return false;
    }
    if (range == null) {
      return true;
    }
    Semver version = version(tag);
    return version != null && range.isSatisfiedBy(version);
  }

  /** The version a tag names, or null. */
  static Semver version(String tag) {
    Semver full = Semver.parse(tag);
    if (full != null) {
      return full;
    }
    return SHORT_VERSION.matcher(tag).matches() ? Semver.coerce(tag) : null;
  }

  private static RangesList range(String raw) {
    RangesList parsed = RangesListFactory.create(raw);
    // semver4j reads what it cannot parse as an empty list, which would reject every tag silently.
    if (parsed.get().isEmpty()) {
      throw new IllegalArgumentException("not a version range: '" + raw + "'");
    }
    return parsed;
  }
}
