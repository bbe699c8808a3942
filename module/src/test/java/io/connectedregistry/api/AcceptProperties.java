package io.connectedregistry.api;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.lists;

import io.connectedregistry.oci.MediaTypes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link Accept#allows} reads a manifest GET's {@code Accept} headers, from any client: a yes or a
 * no, never an exception; a header that names the media type (with parameters, among others)
 * allows it.
 */
class AcceptProperties {

  @Test
  void aHeaderNamingTheMediaTypeAllowsIt() {
    qt().withExamples(500).forAll(mediaTypes(), lists().of(mediaTypes()).ofSizeBetween(0, 4), booleans().all())
        .checkAssert((mediaType, others, withParameters) -> {
          String named = mediaType + (withParameters ? "; q=0.5" : "");
          List<String> types = new ArrayList<>(others);
          types.add(types.size() / 2, named);
          assertTrue(Accept.allows(List.of(String.join(", ", types)), mediaType));
        });
  }

  @Test
  void anyHeadersAreAYesOrANo() {
    qt().withExamples(1000).forAll(lists().of(anyStrings(100)).ofSizeBetween(0, 4), anyStrings(100))
        .checkAssert(Accept::allows);
  }

  @Test
  void acceptShapedHeadersAreAYesOrANo() {
    qt().withExamples(1000).forAll(lists().of(acceptShaped()).ofSizeBetween(0, 4), mediaTypes())
        .checkAssert(Accept::allows);
  }

  private static Gen<String> mediaTypes() {
    return Generate.oneOf(pick(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST,
        MediaTypes.DOCKER_MANIFEST_LIST), strings(Generate.oneOf(chars('a', 'z'), chars('A', 'Z')), 1, 10)
        .map(s -> "application/" + s));
  }

  private static Gen<String> acceptShaped() {
    return joined(Generate.oneOf(mediaTypes(), pick(",", ";", " ", "*/*", "application/*", "q=0", "/", "", "\u0000",
        "\r\n")), 10);
  }
}
