import { CustomAiError, type ErrorCodesOf } from "../../core/index.js";

/** Why an image was refused. */
export type ImageProblem = "not-base64" | "not-image" | "wrong-size" | "corrupt";

export type ImageInputErrorCode = ErrorCodesOf<"ImageInputError">;

/**
 * An image the scorer cannot use: code BAD_IMAGE, and `problem` says which kind. The message is a
 * predicate that follows the image's name ("images[2] " + message): "is 32×30; model "digits-cnn"
 * takes 28×28 ...".
 */
export class ImageInputError extends CustomAiError<ImageInputErrorCode> {
  readonly problem: ImageProblem;

  constructor(problem: ImageProblem, message: string) {
    super("BAD_IMAGE", message);
    this.problem = problem;
  }
}
