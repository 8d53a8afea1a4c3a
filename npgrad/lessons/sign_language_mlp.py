"""The Keras-style 784-1024-512-256-24 MLP on Sign Language MNIST.

A Keras model, unchanged but for its imports, trained on Sign Language MNIST.

The model below is written exactly as a Keras user writes it (functional API, softmax output,
categorical cross-entropy on one-hot labels, Adam, metrics=['acc']); only the import line
says npgrad instead of tensorflow. 24 letters of the American Sign Language alphabet, 28x28
grey photos: 27,455 for training and 7,172 for testing.
"""

from npgrad import manual_seed
from npgrad.datasets import SignLanguageMNIST
from npgrad.keras import Dense, Input, Model, optimizers
from npgrad.keras.utils import to_categorical
from npgrad.lessons import main


def keras_model():
    inputs = Input(shape=(784,))
    x = Dense(1024, activation='relu')(inputs)
    x = Dense(512, activation='relu')(x)
    x = Dense(256, activation='relu')(x)
    outputs = Dense(24, activation='softmax')(x)
    model = Model(inputs=inputs, outputs=outputs)
    model.compile(loss='categorical_crossentropy', optimizer=optimizers.Adam(learning_rate=0.001), metrics=['acc'])
    return model


def run(out_dir, quick=False):
    epochs, limit = (2, 3000) if quick else (15, None)
    manual_seed(0)
    x_train, y_train = SignLanguageMNIST(train=True).arrays(flatten=True)
    x_test, y_test = SignLanguageMNIST(train=False).arrays(flatten=True)
    x_train, y_train = x_train[:limit], y_train[:limit]
    model = keras_model()
    model.summary()
    history = model.fit(
        x_train,
        to_categorical(y_train, 24),
        batch_size=128,
        epochs=epochs,
        validation_data=(x_test, to_categorical(y_test, 24)),
    )
    test_loss, test_acc = model.evaluate(x_test, to_categorical(y_test, 24), batch_size=1000)
    print(f"\nSign Language MNIST test accuracy {test_acc:.2%} after {epochs} epochs (test loss {test_loss:.4f})")
    return {
        "epochs": epochs,
        "train_images": len(x_train),
        "test_accuracy": test_acc,
        "test_loss": test_loss,
        "parameters": sum(p.numel() for p in model.parameters()),
        "history": history.history,
    }


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/linear.py LinearFunction, npgrad/textbook/activation.py ReLUFunction
the Keras layer and model: npgrad/keras/layers.py Dense, npgrad/keras/models.py Model (compile, fit, evaluate)
fast ops: npgrad/functional/linalg.py linear, npgrad/functional/activation.py relu
the data: npgrad/datasets/sign_language.py SignLanguageMNIST
the page: docs/lessons/sign-language-mlp.md
"""

if __name__ == "__main__":
    main(run)
