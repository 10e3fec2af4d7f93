/** Container image references: [registry[:port]/]repository[:tag][@digest]. */
export interface ImageReference {
  repository: string;
  tag?: string;
  digest?: string;
}

export function parseImageReference(image: string): ImageReference {
  const [nameAndTag, digest] = image.split("@", 2);
  // A colon after the last slash separates the tag; one before it belongs to a registry port.
  const lastSlash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.indexOf(":", lastSlash + 1);
  return {
    repository: colon === -1 ? nameAndTag : nameAndTag.slice(0, colon),
    tag: colon === -1 ? undefined : nameAndTag.slice(colon + 1),
    digest,
  };
}
