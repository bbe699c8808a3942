package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.MediaTypes;
import java.util.List;
import org.junit.jupiter.api.Test;

class AcceptTest {
  @Test
  void noAcceptHeaderOrAWildcardAllowsAnything() {
    assertTrue(Accept.allows(List.of(), MediaTypes.OCI_INDEX));
    assertTrue(Accept.allows(List.of("*/*"), MediaTypes.OCI_INDEX));
    assertTrue(Accept.allows(List.of("application/*"), MediaTypes.OCI_INDEX));
  }

  @Test
  void theMediaTypeMustBeListedInOneOfTheHeaders() {
    assertTrue(Accept.allows(List.of(MediaTypes.DOCKER_MANIFEST, MediaTypes.OCI_MANIFEST + "; q=0.5"), MediaTypes.OCI_MANIFEST));
    assertTrue(Accept.allows(List.of(MediaTypes.DOCKER_MANIFEST + ", " + MediaTypes.OCI_INDEX), MediaTypes.OCI_INDEX));
    assertFalse(Accept.allows(List.of(MediaTypes.DOCKER_MANIFEST), MediaTypes.OCI_MANIFEST));
  }
}
