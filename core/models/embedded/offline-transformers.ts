import { env } from '@huggingface/transformers';

// Models come only from local folders: nothing is ever fetched at run time. Every module that
// loads through transformers.js imports this first.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '';
