// Every Node entry point, type-checked without the DOM library (--lib es2023): what a Node app's
// tsconfig often has. Our declarations must name no browser-only type; onnxruntime-common's own
// declarations do (ImageData, WebGLTexture, …), which the test tells apart.
import * as data from '@charrnn/data';
import * as dataNode from '@charrnn/data/node';
import * as contract from '@charrnn/contract';
import * as contractNode from '@charrnn/contract/node';
import * as graph from '@charrnn/graph';
import * as train from '@charrnn/train';
import * as exportMain from '@charrnn/export';
import * as inferWebNode from '@charrnn/infer-web/node';
import * as serve from '@charrnn/serve';

export const entries: readonly unknown[] = [data, dataNode, contract, contractNode, graph, train, exportMain, inferWebNode, serve];
