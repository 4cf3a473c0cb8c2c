/** Why an image was refused. */
export type ImageProblem = "not-base64" | "not-image" | "wrong-size" | "corrupt";

/**
 * An image the scorer cannot use. The message is a predicate that follows the image's name
 * ("images[2] " + message): "is 32×30; model "digits-cnn" takes 28×28 ...".
 */
export class ImageInputError extends Error {
  readonly problem: ImageProblem;

  constructor(problem: ImageProblem, message: string) {
    super(message);
    this.name = "ImageInputError";
    this.problem = problem;
  }
}
